import pytest


@pytest.fixture(scope="session")
def tumor3d_sample_result():
    """The demo's tumor3d sample case through the NIfTI route (segmenting takes a while: done once)."""
    from hybridvision.apps.demo import tumor3d_tab

    return tumor3d_tab.segment_sample()
