"""Two orthogonal radiographs (AP and lateral) to a 3D bone label volume and a mesh, after Swin-X2S.

Training pairs are digitally reconstructed radiographs (``drr``) rendered from labelled bone phantoms
(``phantoms``); ``model`` is the network, ``data`` the training pairs, ``radiographs`` the reading and
preparation of real views, ``pipeline`` the ``xray2shape`` pipeline (predict, samples, evaluate).
"""

from ..base import PIPELINES
from .pipeline import X2SPipeline

PIPELINES.register("xray2shape", X2SPipeline)

__all__ = ["X2SPipeline"]
