"""Two orthogonal radiographs (AP and lateral) to a 3D bone label volume, after Swin-X2S.

Training pairs are digitally reconstructed radiographs (``drr``) rendered from labelled bone phantoms
(``phantoms``).
"""
