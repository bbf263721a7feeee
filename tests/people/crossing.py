"""A rendered clip of two people who cross, and what a detector would report on it (shared by tests/people)."""

from __future__ import annotations

import numpy as np

from flowpose.people.detections import Detection
from flowpose.synth.body import T_POSE
from flowpose.synth.render import RenderConfig, render_clip

T, SIZE = 24, 96
K = np.array([[90.0, 0, (SIZE - 1) / 2], [0, 90.0, (SIZE - 1) / 2], [0, 0, 1]])


def crossing_clip():
    """Person A walks left to right in front, person B right to left behind: they cross mid-clip.

    Returns the composited frames, each person's true 2D joints (T, 17, 2) and A's mask (T, H, W).
    """
    t = np.linspace(0.0, 1.0, T)[:, None, None]
    a = T_POSE[None] * 0.8 + np.array([-0.9, 0.2, 4.0]) + t * np.array([1.8, 0.0, 0.0])
    b = T_POSE[None] * 0.8 + np.array([0.9, 0.2, 5.0]) + t * np.array([-1.8, 0.0, 0.0])
    config = RenderConfig(size=SIZE)
    ra = render_clip(a, K, fps=10.0, config=config, seed=1)
    rb = render_clip(b, K, fps=10.0, config=config, seed=2)
    frames = np.where(ra.human_mask[..., None], ra.frames, rb.frames)
    return frames, ra.joints2d, rb.joints2d, ra.human_mask


def detections_of(crossing, *, seed: int, drop: float, shuffle: bool = True):
    """What a detector would report: both persons' joints with 1 px noise, B's joints hidden behind A at low
    confidence, some detections missed, in random order; each detection remembers who it truly is."""
    frames, ja, jb, mask_a = crossing
    rng = np.random.default_rng(seed)
    out = []
    for t in range(T):
        dets = []
        for who, joints in (("a", ja[t]), ("b", jb[t])):
            if rng.uniform() < drop:
                continue
            kp = joints + rng.normal(0, 1.0, joints.shape)
            conf = np.full(17, 0.9)
            if who == "b":
                x = np.clip(joints.round().astype(int), 0, SIZE - 1)
                conf[mask_a[t][x[:, 1], x[:, 0]]] = 0.1  # behind A
            dets.append(Detection(kp.astype(np.float32), conf.astype(np.float32), payload=who))
        if shuffle:
            rng.shuffle(dets)
        out.append(dets)
    return out


def identities(track, detections):
    return {d.payload for d in track.detections(detections)}
