"""Tests of flowpose.body.mesh_sketch on the stand-in model."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.body.mesh_sketch import sketch_mesh_motion
from flowpose.body.model import load_body_model
from flowpose.body.raster import rasterize
from flowpose.body.standin import write_standin
from flowpose.body.synth import smpl_motion, vertices_of
from flowpose.errors import ShapeError
from flowpose.flow.field import FlowField
from flowpose.refinement.sketch import SketchConfig


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory):
    model = load_body_model(write_standin(tmp_path_factory.mktemp("body") / "standin.pkl"))
    seq = smpl_motion(6)
    return model, seq, vertices_of(seq, model)


def test_a_sideways_shift_is_f_dx_over_z_on_the_silhouette(scene) -> None:
    model, seq, V = scene
    shifted = np.stack([V[0], V[0] + [0.05, 0.0, 0.0]])  # the whole body 5 cm to the right
    grid = FlowField.full_frame(np.zeros((1, 256, 256, 2), np.float32))
    sketch = sketch_mesh_motion(shifted, model.faces, seq.K, model.parts(), grid, SketchConfig(min_view_angle_deg=0))
    raster = rasterize(shifted[:1], model.faces, seq.K, np.zeros((1, 2)), np.ones(1), (256, 256))
    drawn = sketch.weight[0] > 0
    np.testing.assert_array_equal(drawn, raster.mask()[0])
    expected = 500.0 * 0.05 / raster.depth.numpy()
    np.testing.assert_allclose(sketch.flow[0, raster.y.numpy(), raster.x.numpy(), 0], expected, rtol=1e-5)
    np.testing.assert_allclose(sketch.flow[0, raster.y.numpy(), raster.x.numpy(), 1], 0.0, atol=1e-4)
    np.testing.assert_allclose(sketch.weight[0][drawn], 1.0)  # smooth motion, no view factor: full trust
    assert (sketch.flow[0][~drawn] == 0).all()


def test_a_jittering_part_and_grazing_triangles_are_trusted_less(scene) -> None:
    model, seq, V = scene
    parts = model.parts()
    jitter = V.copy()
    forearm = parts == 18  # the left elbow's part: the forearm
    jitter[1::2, forearm] += [0.0, 0.03, 0.0]  # 3 cm up every other frame: about 4 px of second difference
    grid = FlowField.full_frame(np.zeros((5, 256, 256, 2), np.float32))
    calm = sketch_mesh_motion(V, model.faces, seq.K, parts, grid)
    shaky = sketch_mesh_motion(jitter, model.faces, seq.K, parts, grid)
    raster = rasterize(jitter[:-1], model.faces, seq.K, np.zeros((5, 2)), np.ones(5), (256, 256))
    on_arm = forearm[model.faces[raster.face.numpy(), raster.bary.numpy().argmax(1)]]
    t, y, x = raster.frame.numpy(), raster.y.numpy(), raster.x.numpy()
    assert shaky.weight[t, y, x][on_arm].mean() < 0.6 * calm.weight[t, y, x][on_arm].mean()
    assert shaky.weight[t, y, x][~on_arm].mean() > 0.9 * calm.weight[t, y, x][~on_arm].mean()
    lenient = sketch_mesh_motion(V, model.faces, seq.K, parts, grid, SketchConfig(min_view_angle_deg=0))
    assert calm.weight.sum() < lenient.weight.sum()  # triangles seen nearly edge-on are down-weighted


def test_shape_errors(scene) -> None:
    model, seq, V = scene
    grid = FlowField.full_frame(np.zeros((4, 32, 32, 2), np.float32))
    with pytest.raises(ShapeError, match=r"grid.flow must have shape \(5, h, w, 2\) for T = 6 frames"):
        sketch_mesh_motion(V, model.faces, seq.K, model.parts(), grid)
    with pytest.raises(ShapeError, match="parts"):
        sketch_mesh_motion(V[:5], model.faces, seq.K, model.parts()[:-1], grid)
