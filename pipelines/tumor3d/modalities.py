"""The four MRI contrasts tumor3d reads, in the model's channel order (T1, T1ce, T2, FLAIR).

Its own light module: file reading, DICOM mapping and the Python API name the contrasts without
importing the synthetic generator, which is for samples and training only.
"""

MODALITIES = ("t1", "t1ce", "t2", "flair")
