"""The error family of flowpose.

User mistakes (a missing file, a wrong shape, an unknown name) raise :class:`InputError`, whose message names
the file or argument, says what was expected and what was got, and, where there is one, the fix. The command
line turns any :class:`FlowposeError` into one line on stderr and exit code 2; everything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import os
from typing import Sequence


class FlowposeError(Exception):
    """Base class of every error flowpose raises on purpose."""


class InputError(FlowposeError, ValueError):
    """Bad user input: a file, an array or an option that cannot be used as given."""


class ShapeError(InputError):
    """An array whose shape is not the one expected.

    Args:
        name: what the array is (an argument name or a file key).
        expected: the expected shape as text, e.g. ``"(T, J, 3)"``.
        actual: the shape that was got.
        source: the file or function the array came from, if any.
    """

    def __init__(self, name: str, expected: str, actual: Sequence[int], source: str | None = None) -> None:
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{name} must have shape {expected}, got {tuple(int(a) for a in actual)}")
        self.name = name
        self.expected = expected
        self.actual = tuple(int(a) for a in actual)
        self.source = source


class OutputError(FlowposeError):
    """An output that could not be written (a full disk, a quota, a read-only or failing device); nothing of it
    was left behind.

    Args:
        path: the output (a file or a folder), as the user named it.
        reason: why, e.g. ``"No space left on device"``.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{path}: could not be written ({reason}); nothing of it was left")
        self.path = str(path)
        self.reason = reason


class InputNoteWarning(UserWarning):
    """A note on an input that may make a result wrong without being an error: a video stored rotated, a variable
    frame rate, poses at another rate or in another camera convention, a joint in none of their frames.
    :func:`flowpose.refine` warns them; the command line tells them itself, naming the files, and silences the
    API's."""


class MemoryNoteWarning(UserWarning):
    """A refinement that needs more memory than the machine has available
    (:func:`flowpose.refinement.memory.memory_note`): warned before the work, by the API and the command line
    alike."""


class WeightsUnavailableError(FlowposeError, RuntimeError):
    """Flow-network weights that cannot be found locally nor downloaded."""


def unknown_name_error(kind: str, name: str, choices: Sequence[str]) -> InputError:
    """Build the error for an unknown registry name.

    Args:
        kind: what is being looked up, e.g. ``"skeleton"``.
        name: the name that was given.
        choices: the valid names.

    Returns:
        An :class:`InputError` whose message lists the valid choices.
    """
    return InputError(f"unknown {kind} {name!r}; choose from {sorted(choices)}")


def check_fields(config: object, checks: dict[str, bool]) -> None:
    """Raise :class:`InputError` for the first field of ``config`` whose check failed.

    Args:
        config: a config dataclass.
        checks: field name -> whether its value is in range.

    Raises:
        InputError: "ClassName.field is out of range: got value".
    """
    for name, ok in checks.items():
        if not ok:
            raise InputError(f"{type(config).__name__}.{name} is out of range: got {getattr(config, name)}")
