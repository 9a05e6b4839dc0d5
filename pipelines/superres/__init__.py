"""superres: image super-resolution x2/x4 (after HAT and DRCT)."""


def __getattr__(name: str):
    """``SuperresPipeline`` on first use: importing the package (for its options) loads no model code."""
    if name == "SuperresPipeline":
        from .pipeline import SuperresPipeline

        return SuperresPipeline
    raise AttributeError(name)


__all__ = ["SuperresPipeline"]
