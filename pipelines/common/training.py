"""The training harness: a Lightning module and data module built from a task's ``TrainingTask``
(``common/training_task.py``: the pipeline's loss, metrics and datasets) and a config.

``train(config, run_dir)`` seeds everything, trains for ``train.max_steps`` steps with AdamW and a
warm-up + cosine schedule, validates every ``train.val_every_steps``, keeps ``checkpoints/best.ckpt``
and ``checkpoints/last.ckpt`` (for ``--resume``) and CSV logs in the run folder, and exports the
best weights as a self-describing ``model.safetensors``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, IterableDataset

from hybridvision.backbones.adapters import trainable_fraction

from ..registry import PIPELINES
from .atomic import write_json_atomic
from .checkpoint import frozen_identity, initialise_from, load_checkpoint, save_checkpoint
from .composition import adapter_kind, add_adapter, describe_parameters, merge_adapter, parameter_report
from .config import ConfigError, RunConfig, to_plain
from .feature_cache import attach_feature_caches
from .training_task import TrainingTask, training_task


class PipelineModule(L.LightningModule):
    """Trains ``pipeline.build_model()`` with the training task's forward pass, loss and metrics."""

    def __init__(self, task: TrainingTask, config: RunConfig):
        super().__init__()
        self.task = task
        self.config = config
        pipeline = task.pipeline
        self.model = pipeline.build_model()
        train = config.train
        init_from = train.init_from
        self.initialised = initialise_from(self.model, init_from, pipeline.migrate_state) if init_from else None
        if train.train_only:
            if getattr(config.model, "adapter", None) is not None:  # the adapter freezes the model itself
                raise ConfigError("train.train_only and model.adapter both choose what trains: keep one")
            train_only(self.model, train.train_only)
        self.model = add_adapter(config.model, self.model)  # model.adapter: frozen model + the adapter trains
        frozen = frozen_identity(self.model)
        # a frozen pretrained backbone comes from its package: Lightning's checkpoints leave it out
        self.frozen_prefix = f"model.{frozen['prefix']}" if frozen else None
        self.strict_loading = frozen is None
        # in a tuple, not an attribute: the teacher is neither trained nor saved with the model
        self.teacher = (load_teacher(task, train.teacher),) if train.teacher else ()

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self.frozen_prefix:
            state = checkpoint["state_dict"]
            checkpoint["state_dict"] = {k: v for k, v in state.items() if not k.startswith(self.frozen_prefix)}

    def training_step(self, batch: dict[str, Any], batch_index: int) -> torch.Tensor:
        pred = self.task.forward(self.model, batch)
        loss = self.task.loss(pred, batch)
        if self.teacher:
            loss = self.distilled(pred, batch, loss)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["image"]))
        return loss

    def distilled(self, pred: torch.Tensor, batch: dict[str, Any], loss: torch.Tensor) -> torch.Tensor:
        """The task's loss blended with the distance to the teacher's outputs on the same batch (in
        eval mode: a task that samples bands in training gives the teacher all of them)."""
        train = self.config.train
        teacher = self.teacher[0].to(self.device)
        with torch.no_grad():
            target = self.task.forward(teacher, batch)
        if target.shape != pred.shape:
            raise ValueError(f"teacher {train.teacher} predicts {tuple(target.shape)}, the model {tuple(pred.shape)}")
        distance = self.task.distillation_loss(pred, target, train.distill_temperature)
        self.log("train/distill", distance, batch_size=len(batch["image"]))
        return (1 - train.distill_weight) * loss + train.distill_weight * distance

    def validation_step(self, batch: dict[str, Any], batch_index: int) -> None:
        pred = self.task.forward(self.model, batch)
        size = len(batch["image"])
        self.log("val/loss", self.task.loss(pred, batch), prog_bar=True, batch_size=size)
        for name, value in self.task.metrics(pred, batch).items():
            self.log(f"val/{name}", value, prog_bar=True, batch_size=size)

    def configure_optimizers(self):
        train = self.config.train
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=train.learning_rate, weight_decay=train.weight_decay)

        def schedule(step: int) -> float:  # linear warm-up, then cosine decay to 2% of the peak
            if step < train.warmup_steps:
                return (step + 1) / train.warmup_steps
            progress = min(1.0, (step - train.warmup_steps) / max(1, train.max_steps - train.warmup_steps))
            return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def train_only(model: torch.nn.Module, prefixes: tuple[str, ...]) -> None:
    """``train.train_only``: freeze every parameter whose name starts with none of ``prefixes``.

    Raises:
        ConfigError: a prefix names no parameter of the model (a typo would freeze everything).
    """
    names = [name for name, _ in model.named_parameters()]
    for prefix in prefixes:
        if not any(name.startswith(prefix) for name in names):
            raise ConfigError(f"train.train_only: {prefix!r} names no parameter of the model (e.g. {names[-1]!r})")
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name.startswith(tuple(prefixes)))


def load_teacher(task: TrainingTask, teacher: str) -> torch.nn.Module:
    """The checkpoint a model is distilled from, frozen and in eval mode; for tasks whose outputs are logits."""
    if not task.distills:
        raise ValueError(
            f"train.teacher: pipeline {task.pipeline.name} has no distillation loss (its outputs are not logits)"
        )
    _, model, _ = load_checkpoint(teacher)
    return model.requires_grad_(False).eval()


class PipelineData(L.LightningDataModule):
    """The training task's training and validation datasets in data loaders."""

    def __init__(self, task: TrainingTask, config: RunConfig, run_dir: Path):
        super().__init__()
        self.task = task
        self.train_config = config.train
        self.run_dir = run_dir

    def train_dataloader(self) -> DataLoader:
        dataset = self.task.train_dataset(self.train_config.seed)
        records = getattr(dataset, "run_records", None)  # what belongs with the run (a data split)
        for name, content in (records() if records else {}).items():
            write_json_atomic(self.run_dir / name, content)
        if self.task.data_dir is not None:  # which of the user's units trained and validated
            write_json_atomic(self.run_dir / "data_split.json", self.task.user_data(self.train_config.seed).record)
        shuffle = not isinstance(dataset, IterableDataset)
        return DataLoader(
            dataset,
            batch_size=self.train_config.batch_size,
            shuffle=shuffle,
            drop_last=shuffle and len(dataset) >= self.train_config.batch_size,
            num_workers=self.train_config.num_workers,
            persistent_workers=self.train_config.num_workers > 0,
        )

    def val_dataloader(self) -> DataLoader:
        dataset = self.task.val_dataset(self.train_config.seed)
        return DataLoader(dataset, batch_size=1, num_workers=self.train_config.num_workers)


@dataclass
class TrainResult:
    run_dir: Path
    model_path: Path
    metrics: dict[str, float]


def attach_caches(module: PipelineModule, task: TrainingTask, train: Any, run_dir: Path, log) -> list:
    """train.feature_cache: the task replays a fixed set of crops, whose trunk levels are kept."""
    if not task.replays_crops:
        raise ValueError(
            f"train.feature_cache: {task.pipeline.name} training does not replay a fixed set of crops yet, "
            "so no cached feature would be read back"
        )
    task.fixed_crops = True
    return attach_feature_caches(module.model, run_dir / "feature_cache", train.feature_cache_gb, log)


def cache_summary(caches: list) -> str:
    computed = sum(cache.trunk_samples for cache in caches)
    read = sum(cache.cached_samples for cache in caches)
    stored = sum(cache.stored_bytes for cache in caches) / 2**30
    return f"trunk ran on {computed} samples, {read} read back; {stored:.2f} GB stored"


def accelerator_for(device: str) -> str:
    if device == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("--device cuda was asked but no CUDA device is available")
        return "gpu"
    return "cpu"


def train(
    config: RunConfig,
    run_dir: Path,
    resume: Path | None = None,
    device: str = "auto",
    progress_bar: bool = True,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Train the configured pipeline into ``run_dir``; returns where the exported model is.

    ``log`` gets one line at the start: what trains (the adapter's share, the decoder apart)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    L.seed_everything(config.train.seed, workers=True, verbose=False)
    pipeline = PIPELINES.entry(config.pipeline).factory(config.model, config.data)
    task = training_task(pipeline)  # <task>/training.py: imported here, never by prediction
    if config.train.data_dir:
        task.data_dir, task.val_fraction = Path(config.train.data_dir), config.train.val_fraction
        task.split_file = Path(config.train.split_file) if config.train.split_file else None
    module = PipelineModule(task, config)
    caches = attach_caches(module, task, config.train, run_dir, log) if config.train.feature_cache else []
    if module.initialised:
        copied, total = module.initialised
        fresh = (
            f"; the other {total - copied} start fresh (layers it lacks or holds in another shape, e.g. a new head)"
            if copied < total
            else ""
        )
        log(f"started from {config.train.init_from}: {copied} of {total} tensors{fresh}")
    log(describe_parameters(parameter_report(module.model)))
    monitor, mode = task.monitor
    checkpoints = ModelCheckpoint(
        dirpath=run_dir / "checkpoints", filename="best", monitor=monitor, mode=mode, save_last=True
    )
    train = config.train
    trainer = L.Trainer(
        accelerator=accelerator_for(device),
        devices=1,
        max_steps=train.max_steps,
        val_check_interval=min(train.val_every_steps, train.max_steps),
        check_val_every_n_epoch=None,
        log_every_n_steps=train.log_every_steps,
        gradient_clip_val=train.gradient_clip or None,
        precision=train.precision,
        callbacks=[checkpoints],
        logger=CSVLogger(run_dir, name="logs", version=""),
        default_root_dir=run_dir,
        enable_progress_bar=progress_bar,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        deterministic=False,
    )
    data = PipelineData(task, config, run_dir)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*(LeafSpec|TreeSpec).*")
        trainer.fit(module, datamodule=data, ckpt_path=str(resume) if resume else None)
        best_path = checkpoints.best_model_path or checkpoints.last_model_path
        if not best_path:
            raise RuntimeError("training saved no checkpoint (no training batches? check the data settings)")
        state = torch.load(best_path, map_location="cpu", weights_only=True)["state_dict"]
        module.load_state_dict(state, strict=module.strict_loading)
        metrics = trainer.validate(module, datamodule=data, verbose=False)[0]
    metrics = {k: round(float(v), 5) for k, v in metrics.items()}
    provenance = {
        "seed": train.seed,
        "steps": int(trainer.global_step),
        "data": train.data_note or to_plain(config.data),
        "metrics": metrics,
    }
    if train.teacher:
        provenance["teacher"] = (
            f"{train.teacher} (weight {train.distill_weight}, temperature {train.distill_temperature})"
        )
    if caches:
        provenance["feature_cache"] = cache_summary(caches)
        log(f"feature cache: {provenance['feature_cache']}")
    if module.initialised:
        provenance["init_from"] = f"{train.init_from} ({module.initialised[0]} of {module.initialised[1]} tensors)"
    adapter = config.model.adapter
    if adapter_kind(config.model) == "model":
        share = 100 * trainable_fraction(module.model)
        provenance["adapter"] = f"{adapter.name} {to_plain(adapter.kwargs)}, merged; {share:.2f}% of parameters trained"
        # the export is a plain model (the adapter folded in), so its config names no adapter
        config = dataclasses.replace(config, model=dataclasses.replace(config.model, adapter=None))
    elif adapter is not None:  # around a frozen backbone: the adapter is part of the network
        provenance["adapter"] = f"{adapter.name} {to_plain(adapter.kwargs)}"
    provenance["parameters_by_part"] = parameter_report(module.model)
    model = merge_adapter(module.config.model, module.model)
    model_path = save_checkpoint(run_dir / "model.safetensors", model, config, pipeline, provenance, train.export_dtype)
    return TrainResult(run_dir, model_path, metrics)
