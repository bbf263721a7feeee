"""Tests of the rendered-human pair source (needs the shared mocap clips)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.train.human import HumanConfig, HumanPairSource, list_motions, render_random_clip
from tests.conftest import shared_path

SMALL = HumanConfig(clip_frames=3, pool_size=2, refresh_steps=10)


def test_list_motions_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        list_motions(tmp_path / "missing")
    with pytest.raises(InputError, match="no .bvh"):
        list_motions(tmp_path)
    with pytest.raises(InputError, match="empty"):
        HumanPairSource([], 64, seed=0)


@pytest.mark.needs_shared
def test_rendered_pairs_are_consistent_and_seeded() -> None:
    paths = list_motions(shared_path("data", "mocap"))
    assert len(paths) >= 10
    from flowpose.train.human import load_motions

    motions = load_motions([p for p in paths if p.name == "131_01.bvh"])
    pairs = render_random_clip(np.random.default_rng(0), motions, 64, SMALL)
    again = render_random_clip(np.random.default_rng(0), motions, 64, SMALL)
    assert len(pairs) == 2
    for a, b in zip(pairs, again, strict=True):
        np.testing.assert_array_equal(a.flow, b.flow)
        np.testing.assert_array_equal(a.image1, b.image1)
    assert pairs[0].human.any() and pairs[0].valid.mean() > 0.5
    np.testing.assert_array_equal(pairs[0].image2, pairs[1].image1)  # consecutive frames of one clip


@pytest.mark.needs_shared
def test_pool_is_a_function_of_the_step() -> None:
    paths = [p for p in list_motions(shared_path("data", "mocap")) if p.name == "131_02.bvh"]
    src, other = (
        HumanPairSource(paths, 64, seed=1, config=SMALL),
        HumanPairSource(paths, 64, seed=1, config=SMALL),
    )
    a = src.sample(np.random.default_rng(5), step=3)
    src.sample(np.random.default_rng(6), step=12)  # a later generation replaces the pool
    b = other.sample(np.random.default_rng(5), step=3)
    np.testing.assert_array_equal(a.flow, b.flow)
    assert set(k[0] for k in src._pool) == {1}
