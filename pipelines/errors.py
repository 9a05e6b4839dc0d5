"""Errors in what a user gave, shared by the command line and the demo (no heavy imports here).

``InputError`` is raised for bad input (an unreadable file, a wrong shape, a missing part): its
message is shown as is. ``user_errors()`` lists every error type that is the user's to fix, which
the CLI prints as one line and the demo as one message; anything else is a bug and keeps its
traceback in the log.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input (unreadable file, wrong shape, missing part): the message is shown as is."""


class PartialOutput(Exception):
    """A unit whose main output was written but a secondary one could not be (a DICOM-SEG the source
    study cannot support): the runner keeps what was written and marks the unit ``partial``.

    Args:
        message: one line saying what is missing and why.
        extra: outputs written beyond the unit's usual names (a fallback), name -> the path written.
    """

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.extra = dict(extra or {})
        self.kept: list[str] = []  # the file names kept in the output folder (set by the runner)


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors in what the user gave: shown as one line. Anything else is a bug and keeps its traceback."""
    import yaml

    from hybridvision.backbones.registry import BuildError, RegistryError

    return (ValueError, OSError, RegistryError, BuildError, NotImplementedError, yaml.YAMLError)


def one_line(error: BaseException) -> str:
    """The first line of an error's message (a KeyError's key unquoted), or its type's name."""
    message = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return message.splitlines()[0] if message.strip() else type(error).__name__
