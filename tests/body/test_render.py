"""Tests of flowpose.body.render: the rendered frames move as the exact flow says."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowpose.body.model import load_body_model
from flowpose.body.render import render_mesh_clip
from flowpose.body.standin import write_standin
from flowpose.body.synth import smpl_motion, vertices_of


def test_frames_follow_the_exact_flow(tmp_path: Path) -> None:
    model = load_body_model(write_standin(tmp_path / "standin.pkl", rings_per_bone=6, ring_size=12))
    seq = smpl_motion(4)
    clip = render_mesh_clip(vertices_of(seq, model), model.faces, model.smpl.v_template.numpy(), seq.K, (128, 160))
    assert clip.frames.shape == (4, 128, 160, 3) and clip.frames.dtype == np.uint8
    assert clip.flow.flow.shape == (3, 128, 160, 2) and clip.mask.shape == (4, 128, 160)
    assert 0.02 < clip.mask.mean() < 0.5
    assert (clip.flow.flow[~clip.mask[:-1]] == 0).all()  # a static background
    assert (clip.frames[1][~clip.mask[0] & ~clip.mask[1]] == clip.frames[0][~clip.mask[0] & ~clip.mask[1]]).all()
    # A body pixel of frame t, looked up at x + flow in frame t+1, has the same colour (the texture moves with
    # the skin); looked up at x, it does not. Nearest-pixel lookups, on pixels whose target is body too.
    t, y, x = np.nonzero(clip.mask[:-1])
    u, v = clip.flow.flow[t, y, x].T
    x1, y1 = np.rint(x + u).astype(int), np.rint(y + v).astype(int)
    ok = (x1 >= 0) & (x1 < 160) & (y1 >= 0) & (y1 < 128) & (np.hypot(u, v) > 1.5)
    ok[ok] &= clip.mask[t[ok] + 1, y1[ok], x1[ok]]
    here = clip.frames[t[ok], y[ok], x[ok]].astype(float)
    along = np.abs(clip.frames[t[ok] + 1, y1[ok], x1[ok]] - here).mean()
    still = np.abs(clip.frames[t[ok] + 1, y[ok], x[ok]] - here).mean()
    assert ok.sum() > 200 and along < 0.5 * still
