"""xray2shape's command-line surface, readable without importing the task (instant ``--help``)."""

from ..options import CliOption, TaskSpec

SPEC = TaskSpec(
    name="xray2shape",
    description="3D bone labels and a mesh from AP + lateral radiographs (Swin-X2S-style)",
    default_checkpoint="femur",
    predict=(
        CliOption("pixel_spacing", float, 0.0, "detector pixel spacing in mm for both views (0: from the files)"),
        CliOption("anatomy", str, "", "femur or spine: picks the shipped model (default: the checkpoint's, femur)"),
    ),
    samples=(
        CliOption("anatomy", str, "femur", "femur (proximal femur + pelvis) or spine (L1-L5)"),
        CliOption("with_volume", bool, False, "also write the phantom CT (truth/<case>_ct.nii.gz)"),
        CliOption("spacing", float, 2.0, "phantom voxel size in mm (truth labels on that grid)"),
    ),
    evaluate=(CliOption("anatomy", str, "auto", "femur, spine or auto (manifest, else label values)"),),
    export_bundle=True,
)
