"""Tests of flowpose.reprs: what a user sees when printing flowpose's data."""

from __future__ import annotations

import numpy as np
import torch

from flowpose.flow.field import FlowField
from flowpose.people.detections import Detection
from flowpose.pose import PoseSequence
from flowpose.refinement.result import CycleRecord, RefineResult
from flowpose.reprs import array_summary, short_repr

K = np.array([[800.0, 0, 320], [0, 800.0, 240], [0, 0, 1]], np.float32)


def poses(T: int = 300) -> PoseSequence:
    joints3d = np.random.default_rng(0).normal(0, 0.3, (T, 17, 3)).astype(np.float32) + np.float32([0, 0, 4])
    joints3d[:, 10] = np.nan  # a joint never observed
    return PoseSequence(joints3d=joints3d, K=K, fps=50.0, first_frame=0)


def test_a_pose_sequence_is_one_short_line_with_its_shapes_camera_and_missing_values() -> None:
    text = repr(poses())
    assert text == (
        "PoseSequence(joints3d=float32[300, 17, 3] (900 NaN), K=[[800, 0, 320], [0, 800, 240], [0, 0, 1]], "
        "joints2d=None, conf=None, skeleton='h36m17', fps=50.0, first_frame=0, times=None, dist=None, "
        "world=None)"
    )


def test_a_refine_result_names_its_parts_without_their_values() -> None:
    T = 300
    flow = FlowField(np.zeros((T - 1, 64, 64, 2), np.float32), np.ones((T - 1, 64, 64), np.float32),
                     np.zeros((T - 1, 2), np.float32), np.ones(T - 1, np.float32), (480, 640))
    history = [CycleRecord(cycle=k, metrics={"accel": 1.0}) for k in range(4)]
    result = RefineResult(poses=poses(T), flow=flow, history=history, swapped=np.zeros((T, 2), bool))
    text = repr(result)
    assert "\n" not in text and len(text) < 600, text
    assert "flow=FlowField(flow=float32[299, 64, 64, 2], confidence=float32[299, 64, 64], origin=float32[299, 2]" in text
    assert "history=[4 × CycleRecord]" in text and text.endswith("flow_state=None, swapped=bool[300, 2], part_frames=None)")


def test_array_summary_of_tensors_and_of_arrays_without_missing_values() -> None:
    assert array_summary(torch.zeros(2, 3, 8, 8)) == "tensor float32[2, 3, 8, 8]"
    assert array_summary(np.arange(12).reshape(3, 4)) == "int64[3, 4]"
    assert array_summary(np.array([1.5, np.nan])) == "[1.5, nan]"  # small: its values
    assert array_summary(np.float64(2.0)) == "2" and array_summary(np.array(True)) == "True"


def test_numbers_are_written_whole_up_to_twenty_and_foreign_objects_by_their_type() -> None:
    class Landmarks:  # another library's object with a long repr
        def __repr__(self) -> str:
            return "Landmarks(" + ", ".join(["x=0.5"] * 40) + ")"

    detection = Detection(keypoints=np.zeros((17, 2)), conf=np.ones(17), source_id=3, payload=Landmarks())
    assert repr(detection) == ("Detection(keypoints=float64[17, 2], conf=float64[17], source_id=3, "
                               "payload=<Landmarks>)")
    record = CycleRecord(cycle=1, losses={"flow": 0.5})
    assert short_repr(record) == "CycleRecord(cycle=1, losses={'flow': 0.5}, seconds={}, metrics={})"
    assert "[1, 2, 3, 4, 5]" in short_repr(Detection(np.zeros((1, 2)), np.ones(1), payload=[1, 2, 3, 4, 5]))
    assert "payload=[21 × int]" in short_repr(Detection(np.zeros((1, 2)), np.ones(1), payload=list(range(21))))
