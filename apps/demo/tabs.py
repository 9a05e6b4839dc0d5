"""The demo's tabs: each tab module registers its builder here, in page order."""

from __future__ import annotations

from typing import Callable

TAB_MODULES = ("tumor3d_page", "xray2shape_tab", "spectral_tab", "superres_tab")  # page order
BUILDERS: dict[str, Callable[[], None]] = {}


def tab(pipeline: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Decorator: ``@tab("superres")`` on a tab module's ``build_tab``."""

    def register(build: Callable[[], None]) -> Callable[[], None]:
        BUILDERS[pipeline] = build
        return build

    return register


def registered() -> dict[str, Callable[[], None]]:
    """Pipeline -> tab builder, every tab module imported (so it has registered itself), in page order."""
    import importlib

    for module in TAB_MODULES:
        importlib.import_module(f"{__package__}.{module}")
    order = {module: index for index, module in enumerate(TAB_MODULES)}

    def place(name: str) -> int:  # the builder's module's place in TAB_MODULES
        return order.get(BUILDERS[name].__module__.rpartition(".")[2], len(order))

    return {name: BUILDERS[name] for name in sorted(BUILDERS, key=place)}
