"""The demo under load: 8 sample requests at once through gradio_client, against the installed
command from a fresh HOME. All answer without an error, the server stays under 4 GB, and its
temporary folders are gone when it stops. Plus the pieces: content-checked uploads, per-session
folders and one model call at a time per task."""

import re
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from hybridvision.apps.demo.sessions import Turns
from hybridvision.apps.demo.uploads import check_content, sniff
from hybridvision.pipelines.errors import InputError

from .test_demo_browser import served  # noqa: F401  (the fixture: the demo in a subprocess)

# two tasks, so one waits on its own task while the other runs beside it (spectral's sample takes
# half a minute alone: it stays out to keep CI short)
REQUESTS = ["/superres_sample_0", "/superres_sample_1", "/superres_sample_0", "/superres_sample_2"]
REQUESTS += ["/xray2shape_sample"] * 4


def test_eight_concurrent_sample_requests_all_answer_within_4_gb(served, tmp_path):  # noqa: F811
    from gradio_client import Client

    url, log, server = served
    client = Client(url, verbose=False, download_files=str(tmp_path / "downloads"))
    peak, done = [0], threading.Event()

    def watch_memory():
        process = psutil.Process(server.pid)
        while not done.is_set():
            try:
                rss = sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])
            except psutil.Error:
                break
            peak[0] = max(peak[0], rss)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch_memory, daemon=True)
    watcher.start()
    jobs = [client.submit(api_name=name) for name in REQUESTS]
    try:
        results = [job.result(timeout=600) for job in jobs]
    except Exception as error:  # the server's side of it, to tell a crash from a refusal
        raise AssertionError(f"{error!r}; the server's log ends:\n{log.read_text()[-3000:]}") from error
    done.set()
    watcher.join()
    for name, result in zip(REQUESTS, results):
        status = next(r for r in reversed(result) if isinstance(r, str) and not r.startswith(("/", "{")))
        assert "Error" not in status and "Warning" not in status, (name, status)
    assert peak[0] < 4 * 1024**3, f"the server peaked at {peak[0] / 1024**3:.2f} GB"

    work = Path(re.search(r"temporary files in (\S+) ", log.read_text()).group(1))
    # every request worked inside its session's folder (which goes when Gradio unloads the session),
    # and Gradio served its answers from its own cache in the work folder, not the machine's shared one
    assert {p.name for p in work.iterdir() if not p.name.startswith("session-")} == {"gradio"}
    served_names = {p.name for p in (work / "gradio").rglob("*") if p.is_file()}
    downloaded = {p.name for p in (tmp_path / "downloads").rglob("*") if p.is_file()}
    assert downloaded and downloaded <= served_names, downloaded - served_names
    server.terminate()
    server.wait(60)
    assert not work.exists()


def test_uploads_are_checked_by_content_not_by_name(tmp_path):
    from skimage import io

    picture = np.zeros((8, 8), np.uint8)
    io.imsave(tmp_path / "real.png", picture, check_contrast=False)
    io.imsave(tmp_path / "tiff.tif", picture, check_contrast=False)
    (tmp_path / "tiff.tif").rename(tmp_path / "disguised.png")
    (tmp_path / "notes.nii.gz").write_text("hello")
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert check_content(tmp_path / "real.png") == tmp_path / "real.png"
    assert sniff(tmp_path / "disguised.png") == "TIFF image"
    with pytest.raises(InputError, match=r"^disguised.png: named as a PNG image, but its content is a TIFF image$"):
        check_content(tmp_path / "disguised.png")
    with pytest.raises(InputError, match=r"^notes.nii.gz: named as a NIfTI volume, but its content is not a known"):
        check_content(tmp_path / "notes.nii.gz")
    with pytest.raises(InputError, match=r"^empty.jpg: named as a JPEG image, but its content is empty$"):
        check_content(tmp_path / "empty.jpg")


def test_one_call_at_a_time_per_task_and_the_waiting_hear_how_many_are_ahead():
    turns, heard, running, most = Turns(), [], [0], [0]
    lock = threading.Lock()

    def call(task):
        with turns.turn(task, heard.append):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.2)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=call, args=("superres",)) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    other = threading.Thread(target=call, args=("spectral",))
    other.start()
    for thread in [*threads, other]:
        thread.join()
    assert most[0] == 2  # superres one at a time, spectral beside it
    assert heard == [
        "Busy: 1 ahead of you for superres; yours runs when they are done.",
        "Busy: 2 ahead of you for superres; yours runs when they are done.",
    ]
    assert turns.ahead("superres") == 0


def test_images_made_at_once_by_many_requests_are_never_read_half_written(tmp_path):
    """Gradio names the images it makes by their content; many requests making the same one must
    not truncate it under a reader (in place, a reader saw empty files within a few hundred tries)."""
    from gradio import processing_utils
    from PIL import Image as PILImage

    from hybridvision.apps.demo.gradio_cache import make_image_writes_atomic

    make_image_writes_atomic()
    picture = PILImage.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    path = Path(processing_utils.save_pil_to_cache(picture, str(tmp_path), format="png"))
    size, inode, stop, seen = path.stat().st_size, path.stat().st_ino, threading.Event(), []

    def write():
        while not stop.is_set():
            processing_utils.save_img_array_to_cache(np.asarray(picture), str(tmp_path), format="png")

    def read():
        for _ in range(3000):
            seen.append(len(path.read_bytes()))

    writers = [threading.Thread(target=write) for _ in range(4)]
    for thread in writers:
        thread.start()
    read()
    stop.set()
    for thread in writers:
        thread.join()
    assert set(seen) == {size}, f"read sizes {sorted(set(seen))[:5]}, the file has {size} bytes"
    assert path.stat().st_ino == inode  # written once, never again
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left
