"""superres's command-line surface, readable without importing the task (instant ``--help``)."""

from ..options import CliOption, TaskSpec

SPEC = TaskSpec(
    name="superres",
    description="image super-resolution x2/x4 for photos, scans and GeoTIFF rasters (HAT/DRCT-style)",
    default_checkpoint="x2",
    predict=(
        CliOption("scale", int, 0, "upscaling factor: 2 or 4 picks the shipped x2 or x4 (0: the checkpoint's, x2)"),
        CliOption("tile", int, 256, "tile side in input pixels (memory stays one tile)"),
        CliOption("overlap", int, 16, "context on each tile side, in input pixels"),
        CliOption(
            "png_compression",
            int,
            1,
            "zlib level of PNG outputs, 0-9: 1 (OpenCV's default) writes a 4096^2 photo about 4x faster than "
            "Pillow's 6 in files about a quarter larger; lossless at every level",
        ),
        CliOption(
            "color",
            str,
            "auto",
            "luma: the network upscales an RGB image's luma, colour is bicubic (3x faster); bands: every "
            "band by the network; auto: luma for RGB PNG/JPEG photos, bands for everything else",
        ),
        CliOption(
            "bands",
            str,
            "",
            "satellite products: the product's band names (B02,B8A or SR_B2,SR_B5), each resolution its own "
            "output; default Sentinel-2's 10 m bands, Landsat's SR_B2-SR_B7",
        ),
        CliOption(
            "bbox", str, "", "only this area: west,south,east,north in degrees (WGS 84), any georeferenced input"
        ),
        CliOption(
            "window",
            str,
            "",
            "only this area: column,row,width,height in input pixels (a product's finest band chosen)",
        ),
    ),
    samples=(
        CliOption("scale", int, 4, "downsampling factor of the inputs: 2 or 4"),
        CliOption(
            "domain",
            str,
            "photos",
            "photos: scikit-image's hold-out photos; radiology: pydicom-data's held-out CT, CR, US and MR "
            "images, a domain the shipped models never trained on",
        ),
        CliOption("product", str, "", "sentinel2 or landsat: small products in their real layout instead"),
    ),
    evaluate=(CliOption("input", str, "", "folder of the low-resolution inputs (adds bicubic scores)"),),
    bench=(
        CliOption("threads", int, 2, "CPU threads"),
        CliOption("sizes", str, "2048,4096,8192", "GeoTIFF sides for the x2 model, comma-separated"),
        CliOption("stream_size", int, 20000, "side of the identity-streaming raster (0: skip)"),
        CliOption("repeats", int, 3, "timed passes per model (median reported)"),
        CliOption("max_seconds", float, 600, "skip a GeoTIFF size extrapolated to take longer"),
        CliOption("psnr_steps", int, 300, "same-budget training steps, ours and SwinIR-light (0: skip)"),
        CliOption(
            "psnr_models",
            str,
            "ours,dlgsa,swinir",
            "same-budget models, comma-separated; a re-run at the same budget keeps those the output JSON has",
        ),
        CliOption("quick", bool, False, "only the smallest of --sizes, at most 2 timed passes, 30 PSNR steps"),
    ),
    bench_help=(
        "superres against spandrel's SwinIR and HAT (x4 speed, same-budget PSNR), and peak memory on large GeoTIFFs."
    ),
    export_bundle=True,
)
