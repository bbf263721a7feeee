"""Tests of flowpose.body.params: the SMPL parameter file and the rotation representations."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from flowpose.body.params import SmplSequence, load_smpl, matrix_from_6d, rotation_6d, save_smpl
from flowpose.body.synth import smpl_motion
from flowpose.errors import InputError


def test_round_trip_keeps_keys_and_layouts(tmp_path: Path) -> None:
    seq = smpl_motion(5)
    flat = SmplSequence(seq.global_orient, seq.body_pose, seq.betas, seq.transl, seq.K, 25.0, flat_body_pose=True)
    for name, s in (("a.npz", seq), ("b.json", flat)):
        save_smpl(s, tmp_path / name)
        back = load_smpl(tmp_path / name)
        np.testing.assert_allclose(back.body_pose, s.body_pose, atol=1e-12)
        assert back.flat_body_pose == s.flat_body_pose and back.fps == s.fps
    with np.load(tmp_path / "a.npz") as data:
        assert data["body_pose"].shape == (5, 23, 3) and str(data["written_by"]) == "flowpose"
    (tmp_path / "c.npz").write_bytes((tmp_path / "a.npz").read_bytes())
    np.savez(tmp_path / "flat.npz", global_orient=seq.global_orient, body_pose=seq.body_pose.reshape(5, 69),
             betas=seq.betas, transl=seq.transl, K=seq.K)
    assert load_smpl(tmp_path / "flat.npz").flat_body_pose


def test_bad_files(tmp_path: Path) -> None:
    seq = smpl_motion(3)
    np.savez(tmp_path / "no_k.npz", global_orient=seq.global_orient, body_pose=seq.body_pose, betas=seq.betas,
             transl=seq.transl)
    with pytest.raises(InputError, match=r"no_k\.npz: missing \['K'\]"):
        load_smpl(tmp_path / "no_k.npz")
    np.savez(tmp_path / "refined.npz", joints3d=np.zeros((3, 17, 3)), K=seq.K)
    with pytest.raises(InputError) as info:
        load_smpl(tmp_path / "refined.npz")
    assert str(info.value) == (f"{tmp_path / 'refined.npz'}: joints (joints3d), not SMPL parameters (an SMPL "
                               "parameter file has ['global_orient', 'body_pose', 'betas', 'transl', 'K']): refine "
                               "them with --poses; export them with export bvh")
    np.savez(tmp_path / "short.npz", global_orient=seq.global_orient, body_pose=seq.body_pose[:2], betas=seq.betas,
             transl=seq.transl, K=seq.K)
    with pytest.raises(InputError, match=r"short\.npz: body_pose must have shape \(3, 23, 3\)"):
        load_smpl(tmp_path / "short.npz")
    with pytest.raises(InputError, match="must be finite"):
        SmplSequence(seq.global_orient * np.nan, seq.body_pose, seq.betas, seq.transl, seq.K)


def test_smplx_round_trip_keeps_the_face_hands_and_layouts(tmp_path: Path) -> None:
    from flowpose.body.layouts import SMPLX

    seq = smpl_motion(4, layout=SMPLX)
    assert seq.layout is SMPLX and seq.body_pose.shape == (4, 21, 3) and seq.rotations().shape == (4, 22, 3, 3)
    pca = {**seq.extras, "right_hand_pose": np.ones((4, 6))}  # six PCA coefficients
    flat = SmplSequence(seq.global_orient, seq.body_pose, seq.betas, seq.transl, seq.K, flat_body_pose=True,
                        extras=pca, flat_hand_mean=False)
    for name, s in (("a.npz", seq), ("b.json", flat)):
        save_smpl(s, tmp_path / name)
        back = load_smpl(tmp_path / name)
        assert back.layout is SMPLX and back.flat_body_pose == s.flat_body_pose
        assert back.flat_hand_mean == s.flat_hand_mean and set(back.extras) == set(s.extras)
        for key, value in s.extras.items():
            np.testing.assert_allclose(back.extras[key], value, atol=1e-12, err_msg=key)
    with open(tmp_path / "b.json") as f:
        assert '"body_pose": [[' in f.read()  # (T, 63), as it came
    assert load_smpl(tmp_path / "b.json").body_pose.shape == (4, 21, 3)


def test_smplx_refusals() -> None:
    from flowpose.body.layouts import SMPLX

    seq = smpl_motion(3, layout=SMPLX)
    with pytest.raises(InputError, match=r"left_hand_pose must have shape \(3, 45\), \(3, 15, 3\) or \(3, n < 45\)"):
        SmplSequence(seq.global_orient, seq.body_pose, seq.betas, seq.transl, seq.K,
                     extras={"left_hand_pose": np.zeros((3, 50))})
    with pytest.raises(InputError, match=r"\['jaw_pose'\]: SMPL-X parameters, but body_pose has SMPL's 23 joints"):
        SmplSequence(seq.global_orient, np.zeros((3, 23, 3)), seq.betas, seq.transl, seq.K,
                     extras={"jaw_pose": np.zeros((3, 3))})
    with pytest.raises(InputError, match="body_pose of 20 joints; expected 23 .SMPL. or 21 .SMPL-X."):
        SmplSequence(seq.global_orient, np.zeros((3, 20, 3)), seq.betas, seq.transl, seq.K)


def test_6d_round_trip_and_gram_schmidt() -> None:
    R = torch.as_tensor(Rotation.random(20, random_state=0).as_matrix(), dtype=torch.float64)
    torch.testing.assert_close(matrix_from_6d(rotation_6d(R)), R)
    noisy = rotation_6d(R) + 0.1 * torch.randn(20, 6, dtype=torch.float64)
    M = matrix_from_6d(noisy)
    torch.testing.assert_close(M @ M.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand(20, 3, 3))
    assert torch.allclose(torch.det(M), torch.ones(20, dtype=torch.float64))


def test_frame_times_round_trip_and_are_checked(tmp_path: Path) -> None:
    from dataclasses import replace

    seq = replace(smpl_motion(4), times=np.array([0.0, 1.0, 2.0, 4.0]) / 30.0)  # a variable frame rate
    for name in ("t.npz", "t.json"):
        save_smpl(seq, tmp_path / name)
        np.testing.assert_array_equal(load_smpl(tmp_path / name).times, seq.times)
    assert load_smpl(tmp_path / "t.npz").with_body(seq.global_orient, seq.body_pose, seq.betas, seq.transl).times \
        is not None  # a refined sequence keeps them
    save_smpl(smpl_motion(4), tmp_path / "even.npz")
    assert load_smpl(tmp_path / "even.npz").times is None
    with pytest.raises(InputError, match="times must be finite seconds that increase"):
        replace(seq, times=np.array([0.0, 0.1, 0.1, 0.2]))
    with pytest.raises(InputError, match=r"times must have shape \(4,\)"):
        replace(seq, times=np.arange(3) / 30.0)


def test_frames_of_a_sequence_slice_every_per_frame_array() -> None:
    from flowpose.body.layouts import SMPLX

    seq = replace(smpl_motion(6, layout=SMPLX), times=np.arange(6) / 30.0)
    part = seq.frames(2, 5)
    assert part.num_frames == 3 and part.layout is SMPLX
    for name in ("global_orient", "body_pose", "transl", "times"):
        np.testing.assert_array_equal(getattr(part, name), getattr(seq, name)[2:5])
    assert part.extras.keys() == seq.extras.keys()
    for key, value in seq.extras.items():
        np.testing.assert_array_equal(part.extras[key], value[2:5])
    np.testing.assert_array_equal(part.betas, seq.betas)  # one shape, one camera: kept
    np.testing.assert_array_equal(part.K, seq.K)
    per_frame = replace(seq, betas=np.tile(seq.betas, (6, 1)), K=np.tile(seq.K, (6, 1, 1)))
    assert per_frame.frames(1, 3).betas.shape == (2, 10) and per_frame.frames(1, 3).K.shape == (2, 3, 3)
    for start, stop in ((3, 3), (-1, 2), (4, 7)):
        with pytest.raises(InputError, match=rf"expected 0 <= start < stop <= 6, got {start}, {stop}"):
            seq.frames(start, stop)
