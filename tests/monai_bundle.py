"""Run MONAI's bundle tools the way a user would: ``python -m monai.bundle ...`` in a fresh process."""

import subprocess
import sys


def monai_bundle(*args, cwd) -> str:
    """stdout + stderr of ``python -m monai.bundle ARGS``; fails the test when it exits non-zero."""
    result = subprocess.run(
        [sys.executable, "-m", "monai.bundle", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout + result.stderr
