"""Tests of flowpose.estimate.native_log: MediaPipe's C++ info and warning lines dropped, everything else kept."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

from flowpose.estimate.native_log import NATIVE_NOISE, mediapipe_quiet, native_logs_filtered

NOISE = (
    "W0000 00:00:1796345012.489574   28423 inference_feedback_manager.cc:114] Feedback manager requires a model "
    "with a single signature inference. Disabling support for feedback tensors.\n"
    "I0000 00:00:1752489631.572373  129295 gl_context_egl.cc:85] Successfully initialized EGL. Major : 1 Minor: 5\n"
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
)
KEPT = (
    "E0000 00:00:1796345012.489574   28423 calculator_graph.cc:887] INVALID_ARGUMENT: a real failure\n"
    "Fatal Python error: not noise\n"
)


def test_the_pattern_drops_info_and_warnings_only() -> None:
    assert all(NATIVE_NOISE.match(line) for line in NOISE.splitlines())
    assert not any(NATIVE_NOISE.match(line) for line in KEPT.splitlines())


def test_native_lines_filtered_and_python_s_own_stderr_kept(capfd: pytest.CaptureFixture[str]) -> None:
    with native_logs_filtered():
        os.write(2, (NOISE + KEPT).encode())
        print("progress 50%", file=sys.stderr)
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "inference_feedback_manager" not in err and "XNNPACK" not in err and "gl_context" not in err
    for line in [*KEPT.splitlines(), "progress 50%", "after"]:
        assert line in err


def test_fd_2_is_restored_after_an_exception(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(KeyError), native_logs_filtered():
        os.write(2, KEPT.encode())
        raise KeyError("inside")
    os.write(2, b"restored\n")
    err = capfd.readouterr().err
    assert "a real failure" in err and err.endswith("restored\n")


def test_on_a_terminal_python_s_lines_come_as_they_happen() -> None:
    """In a real process whose stderr is fd 2: Python's line is written before the block ends, the native noise
    never, the native error after the block."""
    code = (
        "import os, sys\n"
        "from flowpose.estimate.native_log import native_logs_filtered\n"
        "with native_logs_filtered():\n"
        f"    os.write(2, {(NOISE + KEPT).encode()!r})\n"
        "    print('python line', file=sys.stderr, flush=True)\n"
        "    print('stdout line', flush=True)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "stdout line\n"
    assert proc.stderr.splitlines() == ["python line", *KEPT.splitlines()]


def test_mediapipe_quiet_ignores_protobuf_s_deprecation_only() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mediapipe_quiet():
            warnings.warn("SymbolDatabase.GetPrototype() is deprecated.", UserWarning, stacklevel=1)
            warnings.warn("something else", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["something else"]
