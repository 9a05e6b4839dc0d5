"""bench adapters --pipeline superres --quick: the shipped x2 scored as it is and with LoRA adapted on
the radiology domain, by PSNR gain over bicubic on held-out pydicom-data images."""

import numpy as np

from hybridvision.pipelines.superres.dicom_domain import HELD_OUT, TRAIN, read_dicom_image
from tests.quick_bench import quick_adapter_bench


def test_the_radiology_domain_is_real_disjoint_and_windowed():
    assert not set(TRAIN) & set(HELD_OUT)
    image = read_dicom_image("RG3_UNCI.dcm")  # a 1760-pixel MONOCHROME1 plate
    assert image.shape == (512, 512, 1) and image.dtype == np.float32
    assert image.min() == 0 and image.max() == 1 and 0.2 < image.mean() < 0.9


def test_the_quick_superres_adapter_bench_scores_unadapted_and_lora(tmp_path):
    (shipped, lora), _ = quick_adapter_bench("superres", tmp_path)
    assert shipped["arm"] == "shipped x2, unadapted" and shipped["learning_rate"] is None
    assert shipped["trainable"] == 0 and shipped["held-out"]["psnr_gain"] > 0  # the shipped x2 beats bicubic
    assert lora["arm"] == "x2 + lora" and 0 < lora["trainable"] < 1e5
    assert np.isfinite(lora["held-out"]["psnr_gain"])
