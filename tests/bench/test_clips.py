"""Tests of the benchmark's clip set: discovery, the held-out tuning clip, seeds and the render cache."""

from __future__ import annotations

import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flowpose.bench import clips as C
from flowpose.errors import InputError
from tests.bench.fakes import fake_clip
from tests.conftest import shared_path


def _suite(tmp_path: Path) -> list[C.BenchClip]:
    for name in ("cmu_3dsmax/131_01", "cmu_3dsmax/131_02", "fair/dab"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f"{name}.bvh").write_text("HIERARCHY\n")
    return C.discover_clips(tmp_path)


def test_discover_names_sorted_and_slugs(tmp_path: Path) -> None:
    clips = _suite(tmp_path)
    assert [c.name for c in clips] == ["cmu_3dsmax/131_01", "cmu_3dsmax/131_02", "fair/dab"]
    assert clips[2].slug == "fair-dab"
    assert clips[2].path == tmp_path / "fair" / "dab.bvh"


def test_discover_exception_names_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="found none"):
        C.discover_clips(tmp_path / "missing")


def test_tuning_clip_is_excluded_from_evaluation(tmp_path: Path) -> None:
    tuning, evaluation = C.split_clips(_suite(tmp_path))
    assert tuning.name == C.TUNING_CLIP
    assert [c.name for c in evaluation] == ["cmu_3dsmax/131_02", "fair/dab"]


def test_tuning_clip_helper_finds_the_held_out_file(tmp_path: Path) -> None:
    _suite(tmp_path)
    clip = C.tuning_clip(tmp_path)
    assert clip.name == C.TUNING_CLIP and clip.path == tmp_path / f"{C.TUNING_CLIP}.bvh"
    with pytest.raises(InputError, match="tuning clip"):
        C.tuning_clip(tmp_path / "missing")


def test_tuning_clip_cannot_be_selected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="tuning clip"):
        C.split_clips(_suite(tmp_path), select=["fair/dab", C.TUNING_CLIP])
    with pytest.raises(InputError, match="unknown clip"):
        C.split_clips(_suite(tmp_path), select=["fair/nope"])
    _, chosen = C.split_clips(_suite(tmp_path), select=["fair/dab"])
    assert [c.name for c in chosen] == ["fair/dab"]


def test_shared_suite_has_13_clips_and_12_evaluated() -> None:
    clips = C.discover_clips(shared_path("data", "mocap"))
    tuning, evaluation = C.split_clips(clips)
    assert len(clips) == 13 and len(evaluation) == 12
    assert tuning.name not in {c.name for c in evaluation}


def test_seed_is_stable_crc32() -> None:
    clip = C.BenchClip("fair/dab", Path("x.bvh"))
    assert clip.seed(0) == zlib.crc32(b"fair/dab") % 10_000
    assert clip.seed(7) == clip.seed(0) + 7


def test_cache_round_trip(tmp_path: Path) -> None:
    clip = fake_clip()
    path = tmp_path / "c.npz"
    C.save_clip(path, clip, "key-1")
    back = C.load_clip(path, "key-1")
    for k in ("frames", "joints3d", "joints2d", "K", "flow", "flow_valid", "human_mask"):
        np.testing.assert_array_equal(getattr(back.rendered, k), getattr(clip.rendered, k))
    np.testing.assert_array_equal(back.estimate.joints3d, clip.estimate.joints3d)
    np.testing.assert_array_equal(back.estimate.conf, clip.estimate.confidence())
    assert back.estimate.fps == clip.estimate.fps and back.rendered.fps == 30.0


def test_cache_stale_missing_and_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    assert C.load_clip(path, "k") is None
    C.save_clip(path, fake_clip(), "old")
    assert C.load_clip(path, "new") is None
    path.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="delete it"):
        C.load_clip(path, "new")


def test_cache_key_covers_version_config_and_motion(tmp_path: Path) -> None:
    clip = C.BenchClip("a/b", tmp_path / "b.bvh")
    clip.path.write_text("one")
    cfg = C.SynthConfig(frames=4, size=32)
    key = C.cache_key(clip, cfg)
    assert C.CACHE_VERSION in key
    assert key != C.cache_key(clip, C.SynthConfig(frames=4, size=64))
    clip.path.write_text("two")
    assert key != C.cache_key(clip, cfg)
    assert C.cache_path(tmp_path, clip, cfg).name == "a-b_metro_0_4_32.npz"
    pitched = C.SynthConfig(frames=4, size=32, pitch_deg=25.0)  # a camera looking down: its own key and file
    assert C.cache_key(clip, pitched) != C.cache_key(clip, cfg)
    assert C.cache_path(tmp_path, clip, pitched).name == "a-b_metro_0_4_32_pitch25.npz"


def test_cache_key_covers_the_profile_parameters_and_synthesis_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clip simulated with another draft of a profile (same name) or by other synthesis code is stale."""
    clip = C.BenchClip("a/b", tmp_path / "b.bvh")
    clip.path.write_text("one")
    cfg = C.SynthConfig(frames=4, size=32, profile="mediapipe")
    key = C.cache_key(clip, cfg)
    draft = replace(C.PROFILES["mediapipe"], bias_mm=C.PROFILES["mediapipe"].bias_mm + 1.0)
    monkeypatch.setitem(C.PROFILES, "mediapipe", draft)
    assert C.cache_key(clip, cfg) != key
    monkeypatch.undo()
    assert C.cache_key(clip, cfg) == key
    monkeypatch.setattr(C, "synthesis_code_digest", lambda: "0" * 64)
    assert C.cache_key(clip, cfg) != key


def test_synthesis_code_digest_reads_the_synth_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The digest follows the bytes of the package's files: a copy with one file changed digests otherwise."""
    original = C.synthesis_code_digest()
    copy = tmp_path / "synth"
    copy.mkdir()
    for path in Path(C.synth_package.__file__).parent.glob("*.py"):
        (copy / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(C.synth_package, "__file__", str(copy / "__init__.py"))
    assert C.synthesis_code_digest() == original
    (copy / "noise.py").write_bytes((copy / "noise.py").read_bytes() + b"\n# changed\n")
    assert C.synthesis_code_digest() != original


def test_get_clips_renders_once_then_reads_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [clip] = [c for c in C.discover_clips(shared_path("data", "mocap")) if c.name == "fair/dab"]
    first = C.get_clips(clip, profiles=["metro", "spin"], frames=4, size=32, seed=0, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("fair-dab_*_4_32.npz"))) == 2
    # The second profile's estimate is exactly what make_clip with that profile gives.
    cfg = C.synth_config(clip, profile="spin", frames=4, size=32, seed=0)
    direct = C.make_clip(C.load_motion(clip.path), cfg)
    np.testing.assert_array_equal(first["spin"].estimate.joints3d, direct.estimate.joints3d)
    np.testing.assert_array_equal(first["spin"].rendered.frames, direct.rendered.frames)
    monkeypatch.setattr(C, "make_clip", lambda *a, **k: pytest.fail("rendered again despite the cache"))
    again = C.get_clips(clip, profiles=["metro", "spin"], frames=4, size=32, seed=0, cache_dir=tmp_path)
    np.testing.assert_array_equal(again["metro"].estimate.joints3d, first["metro"].estimate.joints3d)


def test_synth_config_takes_the_middle_and_caps_frames() -> None:
    [clip] = [c for c in C.discover_clips(shared_path("data", "mocap")) if c.name == "cmu_fbx_converted/09_11"]
    cfg = C.synth_config(clip, profile="metro", frames=100, size=64, seed=0)
    assert cfg.frames == 42 and cfg.start == 0  # 42 frames at 30 fps: used whole
    cfg = C.synth_config(clip, profile="metro", frames=10, size=64, seed=0)
    assert cfg.frames == 10 and cfg.start == 16


def test_cache_invalid_arrays_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    C.save_clip(path, fake_clip(), "k")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["flow"] = arrays["flow"][:, :4]  # wrong (T-1, H, W, 2)
    C.write_npz(path, arrays)
    with pytest.raises(InputError, match="invalid cached clip.*flow"):
        C.load_clip(path, "k")
