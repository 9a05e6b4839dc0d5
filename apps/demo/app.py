"""``hybridvision demo``: one Gradio app, a tab per pipeline that ships a checkpoint.

Private by default: bound to 127.0.0.1, no share link, analytics off, system fonts only (the
page requests nothing beyond the local server), an upload size limit, and temporary files
removed (Gradio's cache after an hour, the app's work folder when it stops). Gradio's cache lives
in that work folder: the shared one (``/tmp/gradio``) names files by content, so a second demo on
the machine stopping would delete the files this one is serving. Of the user's home only the sample
cache is served.
"""

from __future__ import annotations

import os
import signal

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

from .sessions import end_session  # noqa: E402
from .shared import NODATA_CSS, RESEARCH_NOTE, samples_root, shipped, work_root  # noqa: E402
from .tabs import registered  # noqa: E402

MAX_UPLOAD = "500mb"
CONCURRENT_REQUESTS = 8
MAX_QUEUE = 32


def available_tabs() -> list[str]:
    """Tabs in page order; a tab appears when its pipeline ships a checkpoint."""
    return [name for name in registered() if shipped(name)]


def theme():
    import gradio as gr

    system = ["ui-sans-serif", "system-ui", "sans-serif"]
    mono = ["ui-monospace", "Consolas", "monospace"]
    return gr.themes.Default(font=system, font_mono=mono)


def build_demo():
    import gradio as gr

    from .gradio_cache import make_image_writes_atomic

    make_image_writes_atomic()  # two users on one sample would otherwise truncate each other's images
    builders = registered()
    with gr.Blocks(title="hybridvision", delete_cache=(3600, 3600), analytics_enabled=False) as demo:
        gr.Markdown("# hybridvision\nHybrid CNN/transformer models for medical imaging and remote sensing.")
        gr.Markdown(RESEARCH_NOTE, elem_id="research-note")
        tabs = available_tabs()
        if not tabs:
            gr.Markdown("No pipeline ships a checkpoint in this installation.")
        for name in tabs:
            with gr.Tab(name, id=name, elem_id=f"tab-{name}"):
                builders[name]()
        demo.unload(end_session)  # a closed page's files go with it
    return demo


def stop_as_on_ctrl_c(signum, frame) -> None:
    """SIGTERM (a service manager, ``kill``) stops the app the way Ctrl+C does, so the work folder
    is removed at exit (the default action would end the process without running ``atexit``)."""
    raise KeyboardInterrupt


def launch(host: str = "127.0.0.1", port: int = 7860, block: bool = True, announce=lambda message: None):
    """Serve the app; returns the running app when ``block`` is False (tests). ``announce`` gets a
    line naming the work folder (removed when the app stops)."""
    announce(f"temporary files in {work_root()} (removed when the demo stops)")
    os.environ.setdefault("GRADIO_TEMP_DIR", str(work_root() / "gradio"))  # a user's own setting wins
    if block:
        signal.signal(signal.SIGTERM, stop_as_on_ctrl_c)
    demo = build_demo()
    # up to 8 requests in flight (they wait for their task's turn, told how many are ahead), a bounded queue
    demo.queue(default_concurrency_limit=CONCURRENT_REQUESTS, max_size=MAX_QUEUE)
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        max_file_size=MAX_UPLOAD,
        prevent_thread_lock=not block,
        theme=theme(),
        css=NODATA_CSS,
        footer_links=[],
        ssr_mode=False,
        quiet=not block,
        # the sample files are cached in the user's home, which Gradio does not serve by itself;
        # only that folder is opened, never the rest of the home
        allowed_paths=[str(samples_root())],
    )
    return demo
