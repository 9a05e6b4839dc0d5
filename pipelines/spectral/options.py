"""spectral's command-line surface, readable without importing the task (instant ``--help``)."""

from ..options import CliOption, TaskSpec

SPEC = TaskSpec(
    name="spectral",
    description="hyperspectral scene and multi-band chip classification, robust to missing bands (ChannelViT)",
    default_checkpoint="scene",
    predict=(
        CliOption(
            "bands",
            str,
            "all",
            "bands to keep: all, every-other, first-half, second-half, one, or 0-63,80; products: their band "
            "names (B02,B03,B04,B08)",
        ),
        CliOption("mask", str, "clouds", "products: holes from the quality layer: none, nodata or clouds"),
        CliOption("resolution", float, 0.0, "products: the grid in metres (default Sentinel-2 10, Landsat 30)"),
        CliOption("bbox", str, "", "products: only this area, west,south,east,north in degrees (WGS 84)"),
        CliOption("window", str, "", "products: only this area, column,row,width,height in grid pixels"),
        CliOption(
            "sensor",
            str,
            "",
            "GeoTIFFs for the land-cover model: sentinel2 or landsat, the bands in the product's order "
            "unless the file's band descriptions name them",
        ),
        CliOption("wavelengths", str, "", "GeoTIFFs for the land-cover model: each band's centre in nm (490,560,665)"),
        CliOption(
            "tta", bool, False, "products: average the 8 flips and rotations; also <product>_entropy.tif (8x slower)"
        ),
    ),
    samples=(
        CliOption(
            "kind",
            str,
            "scene",
            "scene (hyperspectral GeoTIFF + class map), chips (13-band Sentinel-2-like) or multispectral "
            "(land cover as Sentinel-2 or Landsat products, --product, with truth)",
        ),
        CliOption(
            "formats", str, "tif", "scene formats: tif, envi, mat, npy, comma-separated (extras in OUT/formats/)"
        ),
        CliOption("size", int, 145, "scene side in pixels (chips: 32)"),
        CliOption("bands", int, 128, "scene bands, 400-2500 nm"),
        CliOption("product", str, "", "sentinel2 or landsat: small products in their real layout instead"),
    ),
    evaluate=(),
    bench=(
        CliOption("steps", int, 1000, "training steps of each compared model (batch 64)"),
        CliOption("test_pixels", int, 6000, "test pixels per scene and band set (a random subset)"),
        CliOption("threads", int, 2, "CPU threads"),
        CliOption("tile", bool, False, "instead: a whole generated Sentinel-2 tile, land cover against ChannelViT"),
        CliOption("tile_size", int, 10980, "--tile: the tile's side in 10 m pixels (a multiple of 60)"),
        CliOption("cache", str, "", "--tile: where the generated tile is kept (default ~/.cache/hybridvision/bench)"),
        CliOption("tile_checkpoint", str, "spectral/landcover", "--tile: the land-cover checkpoint timed"),
    ),
    bench_help="spectral: same-scene 5% protocol (ChannelViT+HCS vs plain ViT), other scenes, missing bands, LoRA; "
    "--tile: minutes per Sentinel-2 tile.",
    export_bundle=True,
)
