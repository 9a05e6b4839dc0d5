"""The Gradio demo: one app with a tab per pipeline that has a shipped checkpoint."""

from .app import build_demo, launch

__all__ = ["build_demo", "launch"]
