"""``python -m flowpose`` (and ``python -m flowpose.cli``): the ``flowpose`` command under its own name."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["flowpose", "flowpose.cli"])
def test_the_module_runs_the_command(module: str) -> None:
    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: flowpose [OPTIONS] COMMAND [ARGS]...")
    assert "refine" in done.stdout and "batch" in done.stdout
