"""Shared test fixtures: paths to ../shared data, deterministic seeds."""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pytest
import torch

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the calling test when it is absent (a user's clone)."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not found at {p} (only present beside the developers' checkout)")
    return p


@pytest.fixture
def shared() -> "callable":
    """Fixture form of :func:`shared_path`."""
    return shared_path


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


def standing_pose() -> np.ndarray:
    """(17, 3) H36M-17 rest pose in world metres, Y up, facing +Z, feet on the floor."""
    return np.array(
        [
            [0.00, 0.95, 0.0], [-0.12, 0.95, 0.0], [-0.12, 0.52, 0.0], [-0.12, 0.08, 0.0],  # pelvis, right leg
            [0.12, 0.95, 0.0], [0.12, 0.52, 0.0], [0.12, 0.08, 0.0],  # left leg
            [0.00, 1.20, 0.0], [0.00, 1.45, 0.0], [0.00, 1.55, 0.05], [0.00, 1.70, 0.0],  # spine .. head
            [0.18, 1.42, 0.0], [0.45, 1.42, 0.0], [0.70, 1.42, 0.0],  # left arm, out to the side
            [-0.18, 1.42, 0.0], [-0.45, 1.42, 0.0], [-0.70, 1.42, 0.0],  # right arm
        ],
        np.float32,
    )


def swinging_motion(frames: int = 12, fps: float = 30.0):
    """A Motion: the rest pose walking sideways while both forearms swing up and down (about the elbows)."""
    from flowpose.io.motion import Motion

    t = np.arange(frames, dtype=np.float32) / fps
    joints = np.repeat(standing_pose()[None], frames, axis=0)
    joints[:, :, 0] += 0.6 * t[:, None]  # sideways walk, 0.6 m/s
    angle = 0.8 * np.sin(2 * np.pi * 1.0 * t)  # forearm swing, radians
    for elbow, wrist in ((12, 13), (15, 16)):
        length = np.linalg.norm(joints[0, wrist] - joints[0, elbow])
        side = np.sign(joints[0, wrist, 0] - joints[0, elbow, 0])
        joints[:, wrist, 0] = joints[:, elbow, 0] + side * length * np.cos(angle)
        joints[:, wrist, 1] = joints[:, elbow, 1] + length * np.sin(angle)
    return Motion(joints=joints, fps=fps, source="tests.conftest.swinging_motion")


@pytest.fixture(scope="session")
def tiny_clip():
    """A rendered 8-frame 64x64 clip with exact ground truth and a `metro` estimate (session-cached)."""
    from flowpose.synth.clip import SynthConfig, make_clip

    return make_clip(swinging_motion(12), SynthConfig(frames=8, size=64, profile="metro", seed=3))


def signal_at_default(sig: int) -> None:
    """For ``subprocess.Popen(preexec_fn=...)``: in the child, before exec, ``sig`` unblocked and at its default
    disposition, whatever the test runner inherited (a CI harness may block or ignore SIGHUP or SIGINT, and
    both survive exec), so a test that stops a child with ``sig`` tests flowpose, not the harness."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
    signal.signal(sig, signal.SIG_DFL)
