"""Stop signals: SIGTERM and SIGHUP (a job scheduler, a closed terminal) unwind a run like an exception, so that
its ``finally`` blocks remove every temporary output, and a stop is never followed by an output moved into place.
"""

from __future__ import annotations

import contextlib
import signal
from types import FrameType
from typing import Callable, Iterator, Sequence


class Stopped(BaseException):
    """Raised in the main thread when a stop signal arrives, so that temporary outputs are removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


STOP_SIGNALS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)
"""The signals that stop a run by raising :class:`Stopped` (SIGINT already raises KeyboardInterrupt)."""


_STOPS_SEEN: list[int] = []
"""The stop signals :func:`raise_stopped` was called for since the run began (:func:`stop_signals_raise`)."""


def raise_stopped(signum: int, frame: FrameType | None) -> None:
    """A signal handler: note ``signum`` and raise :class:`Stopped` for it.

    The note is for :func:`check_stopped`: CPython can lose an exception raised by a signal handler. On this
    project's machine (CPython 3.11.7), a SIGTERM that arrived while an import compiled a module's source had its
    handler run and raise, yet the import went on, and so did the run, which wrote its output and exited 0 (about
    one in twenty stops sent in the first second of a run, under load).
    """
    _STOPS_SEEN.append(signum)
    raise Stopped(signum)


def check_stopped() -> None:
    """Raise :class:`Stopped` again if a stop signal arrived in this run but its exception was lost; called
    before an output is moved into place, so that a stopped run never leaves one."""
    if _STOPS_SEEN:
        raise Stopped(_STOPS_SEEN[0])


@contextlib.contextmanager
def stop_signals_handled(
    handler: Callable[[int, FrameType | None], None], signals: Sequence[int] = STOP_SIGNALS
) -> Iterator[None]:
    """Within the block, ``handler`` takes ``signals``; the previous handlers come back after it. A signal the
    process was told to ignore stays ignored (``nohup`` ignores SIGHUP so that a job survives its terminal).
    Outside the main thread it does nothing (Python allows handlers only there)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in signals if signal.getsignal(s) != signal.SIG_IGN}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old if old is not None else signal.SIG_DFL)  # None: not set from Python


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped` (:func:`stop_signals_handled`), so that
    ``finally`` blocks run and every temporary folder is removed; a stop whose exception was lost is raised again
    before any output is moved into place (:func:`check_stopped`)."""
    _STOPS_SEEN.clear()
    try:
        with stop_signals_handled(raise_stopped):
            yield
    finally:
        _STOPS_SEEN.clear()
