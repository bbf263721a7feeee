"""MediaPipe's noise kept off the user's terminal: its C++ log lines and a protobuf deprecation warning.

MediaPipe 0.10.14's C++ side logs through absl straight to file descriptor 2, for instance
``W0000 00:00:1796345012.489574   28423 inference_feedback_manager.cc:114] Feedback manager requires a model with
a single signature inference. Disabling support for feedback tensors.`` once per graph. Neither
``GLOG_minloglevel`` nor Python's logging reaches it (google-ai-edge/mediapipe#6040), and a user would see three
such lines above flowpose's one-line error. While MediaPipe runs, :func:`native_logs_filtered` points fd 2 at a
temporary file and Python's own ``sys.stderr`` (progress bars, warnings) at the terminal; afterwards every line of
the file is written to stderr except the C++ side's info and warning lines (:data:`NATIVE_NOISE`): its errors and
anything else still reach the user.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator

NATIVE_NOISE = re.compile(
    r"^(?:[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.-]+:\d+\] "  # absl / glog info and warning lines
    r"|INFO: Created TensorFlow Lite XNNPACK delegate"  # TFLite's info line
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR)"
)
"""The lines dropped: absl/glog ``I``nfo and ``W``arning lines, TFLite's delegate notice and absl's preamble."""


def _is_terminal_stream(stream: object) -> bool:
    """True when ``stream`` writes to file descriptor 2 itself (not a capture such as pytest's or click's)."""
    try:
        return stream.fileno() == 2  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False


@contextlib.contextmanager
def native_logs_filtered() -> Iterator[None]:
    """Within the block, file descriptor 2 goes to a temporary file; on leaving (also by an exception), its
    lines are written to ``sys.stderr`` except those :data:`NATIVE_NOISE` matches. Python's ``sys.stderr``, if
    it is fd 2, is pointed at the terminal meanwhile, so progress bars and warnings show as they happen."""
    sys.stderr.flush()
    saved = os.dup(2)
    python_stderr = sys.stderr
    terminal = None
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            if _is_terminal_stream(python_stderr):
                terminal = os.fdopen(os.dup(saved), "w", buffering=1, encoding=python_stderr.encoding,
                                     errors="backslashreplace")
                sys.stderr = terminal
            yield
        finally:
            if terminal is not None:
                terminal.flush()
                sys.stderr = python_stderr
                terminal.close()
            os.dup2(saved, 2)
            os.close(saved)
            log.seek(0)
            kept = [line for line in log.read().decode(errors="replace").splitlines(keepends=True)
                    if not NATIVE_NOISE.match(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


@contextlib.contextmanager
def mediapipe_quiet() -> Iterator[None]:
    """Around a MediaPipe run: its C++ info and warning lines filtered (:func:`native_logs_filtered`), and the
    protobuf warning it triggers ignored (mediapipe 0.10.14 calls ``SymbolDatabase.GetPrototype``, which protobuf
    4.x deprecates: nothing a user can act on)."""
    with warnings.catch_warnings(), native_logs_filtered():
        warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)
        yield
