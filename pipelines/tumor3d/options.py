"""tumor3d's command-line surface, readable without importing the task (instant ``--help``)."""

from ..options import CliOption, TaskSpec

SPEC = TaskSpec(
    name="tumor3d",
    description="brain-tumour regions (WT/TC/ET) from T1, T1ce, T2, FLAIR NIfTI or DICOM (Swin UNETR-style)",
    default_checkpoint="demo",
    predict=(
        CliOption("labels", str, "brats2021", "label convention of the output: brats2021 (ET=4) or brats2023 (ET=3)"),
        CliOption("probabilities", bool, False, "also write <case>_prob.nii.gz (WT, TC, ET probabilities)"),
        CliOption(
            "output_format", str, "auto", "nifti, dicom-seg or both (auto: nifti for NIfTI input, both for DICOM)"
        ),
        CliOption("series_map", str, "", "YAML file: modality to a SeriesInstanceUID or description pattern"),
        CliOption("tta", bool, False, "flip test-time augmentation: mean <case>_prob and variance <case>_var"),
        CliOption("tta_flips", int, 8, "flips --tta averages over (1-8; 8: every axis combination)"),
        CliOption(
            "roi",
            int,
            0,
            "sliding-window side in voxels, a multiple of 32 (0: the device's: the model's on a CPU, 128 on CUDA)",
        ),
        CliOption(
            "window_batch", int, 0, "windows per network call (0: the device's: the model's on a CPU, 4 on CUDA)"
        ),
        CliOption("precision", str, "auto", "fp32 or bf16 autocast (auto: fp32 on a CPU, bf16 on CUDA)"),
    ),
    samples=(
        CliOption("labels", str, "brats2021", "file names and label values: brats2021 or brats2023"),
        CliOption("shifted", bool, False, "contrast, noise and bias outside the training ranges"),
        CliOption("spacing", float, 1.0, "generator grid in mm (1.0 as BraTS; 2.0 is 8x faster)"),
        CliOption("dicom", bool, False, "inputs as DICOM studies (4 MR series and a localiser, as scanners export)"),
    ),
    evaluate=(),
    bench=(
        CliOption("roi", int, 128, "sliding-window ROI side (voxels), the same for both"),
        CliOption("overlap", float, 0.25, "sliding-window overlap, the same for both"),
        CliOption("threads", int, 2, "CPU threads"),
        CliOption("seeds", int, 3, "training seeds for the accuracy comparison"),
        CliOption("first_seed", int, 0, "the first of them (a budget split across machines: --first-seed 1 --seeds 2)"),
        CliOption("train_steps", int, 150, "training budget per model and seed (0: skip)"),
    ),
    bench_help="tumor3d against MONAI's SwinUNETR: one BraTS-sized volume, and Dice after the same budget.",
    export_bundle=True,
)
