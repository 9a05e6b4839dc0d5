"""A small generic registry: name -> factory, with metadata, globbing and helpful errors.

Every swappable part of the suite (backbones, pipelines, decoders) is registered under a name so
that a YAML config can say ``{name: hybrid_small, spatial_dims: 3}`` and get the object.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


class BuildError(TypeError):
    """A registered factory was called with keywords it does not take."""


class RegistryError(KeyError):
    """A name that is unknown or registered twice. ``str()`` gives the plain message."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered factory and what it declares about itself."""

    name: str
    factory: Callable[..., T]
    metadata: dict[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """Maps names to factories.

    Exact names are registered with :meth:`register`. A *prefix source* (``timm:<model>``) is
    registered with :meth:`register_prefix`; any name with that prefix is built by the source.

    Args:
        kind: what the registry holds, used in error messages ("backbone").
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._prefixes: dict[str, Entry[T]] = {}

    def register(self, name: str, factory: Callable[..., T] | None = None, **metadata: Any):
        """Register ``factory`` under ``name``; without a factory, return a decorator.

        Raises:
            RegistryError: the name is already taken.
        """

        def add(obj: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise RegistryError(f"{self.kind} {name!r} is already registered")
            self._entries[name] = Entry(name, obj, dict(metadata))
            return obj

        return add(factory) if factory is not None else add

    def register_prefix(self, prefix: str, factory: Callable[..., T], **metadata: Any) -> None:
        """Register a source that builds every name of the form ``<prefix>:<rest>``."""
        if prefix in self._prefixes:
            raise RegistryError(f"{self.kind} source {prefix!r} is already registered")
        self._prefixes[prefix] = Entry(f"{prefix}:<name>", factory, dict(metadata))

    def entry(self, name: str) -> Entry[T]:
        """The entry for ``name`` (for a prefixed name, the source's entry)."""
        if name in self._entries:
            return self._entries[name]
        prefix, sep, _ = name.partition(":")
        if sep and prefix in self._prefixes:
            return self._prefixes[prefix]
        raise RegistryError(self._unknown_message(name))

    def build(self, name: str, **kwargs: Any) -> T:
        """Build the object registered as ``name`` with ``kwargs``.

        Raises:
            RegistryError: unknown name; the message lists the closest registered names.
            BuildError: a keyword the factory does not take, with the entry's name in the message.
        """
        entry = self.entry(name)
        if name not in self._entries:  # a prefix source gets the rest of the name first
            return entry.factory(name.partition(":")[2], **kwargs)
        try:
            return entry.factory(**kwargs)
        except TypeError as error:
            if "unexpected keyword" in str(error) or "missing" in str(error):
                raise BuildError(f"{self.kind} {name!r}: {error}") from error
            raise

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted registered names matching a glob pattern, plus ``<prefix>:<name>`` sources."""
        names = list(self._entries) + [entry.name for entry in self._prefixes.values()]
        return sorted(n for n in names if fnmatch.fnmatchcase(n, pattern))

    def __contains__(self, name: str) -> bool:
        try:
            self.entry(name)
        except RegistryError:
            return False
        return True

    def __len__(self) -> int:
        return len(self._entries)

    def _unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.names(), n=5, cutoff=0.4)
        hint = f"; closest: {', '.join(close)}" if close else f"; known: {', '.join(self.names()[:12])}"
        return f"unknown {self.kind} {name!r}{hint}"
