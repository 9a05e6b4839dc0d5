"""Two orthogonal radiographs (AP and lateral) to a 3D bone label volume and a mesh, after Swin-X2S.

Training pairs are digitally reconstructed radiographs (``drr``) rendered from labelled bone phantoms
(``phantoms``); ``model`` is the network, ``training_data`` the training pairs, ``geometry`` the grid and
detector, ``io`` the reading and preparation of real views, ``pipeline`` the ``xray2shape`` pipeline
(predict, samples, evaluate).
"""


def __getattr__(name: str):
    """``X2SPipeline`` on first use: importing the package (for its options) loads no model code."""
    if name == "X2SPipeline":
        from .pipeline import X2SPipeline

        return X2SPipeline
    raise AttributeError(name)


__all__ = ["X2SPipeline"]
