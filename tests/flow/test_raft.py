"""Tests of flowpose.flow.raft: official layout and outputs (fixtures), train/eval, padded prediction."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from flowpose.errors import InputError, ShapeError
from flowpose.flow.grids import InputPadding
from flowpose.flow.raft import RAFT, raft_large, raft_small
from tests.conftest import shared_path

FIXTURES = ("fixtures", "flow_compat")


def _manifest(name: str) -> dict:
    return json.loads(shared_path(*FIXTURES, f"manifest_{name}.json").read_text())


def _fixture_model(builder, weights: str) -> tuple[RAFT, dict[str, np.ndarray]]:
    model = builder().eval()
    model.load_state_dict(torch.load(shared_path(*FIXTURES, f"{weights}.pt"), weights_only=True), strict=True)
    return model, dict(np.load(shared_path(*FIXTURES, f"fixture_{weights}.npz")))


@pytest.fixture(scope="module")
def small_fixture() -> tuple[RAFT, dict[str, np.ndarray]]:
    return _fixture_model(raft_small, "raft_small_seed0")


@pytest.fixture(scope="module")
def large_fixture() -> tuple[RAFT, dict[str, np.ndarray]]:
    return _fixture_model(raft_large, "raft_large_seed0_perturbed")


@pytest.mark.parametrize(("builder", "name"), [(raft_large, "raft_large"), (raft_small, "raft_small")])
def test_state_dict_equals_official_manifest(builder, name: str) -> None:
    manifest = _manifest(name)
    sd = builder().state_dict()
    assert list(sd) == [e["name"] for e in manifest["state_dict"]]
    assert [list(v.shape) for v in sd.values()] == [e["shape"] for e in manifest["state_dict"]]
    n_params = sum(p.numel() for p in builder().parameters())
    assert n_params == manifest["total_parameter_count_unique"]


def _run(model: RAFT, fixture: dict[str, np.ndarray], iters: int):
    with torch.no_grad():
        return model.forward_with_low(
            torch.from_numpy(fixture["image1"]), torch.from_numpy(fixture["image2"]), iters=iters
        )


@pytest.mark.parametrize("iters", [12, 32])
def test_raft_small_reproduces_official_flow(small_fixture, iters: int) -> None:
    model, fixture = small_fixture
    out = _run(model, fixture, iters)
    # rtol 1e-5 on top of 1e-4: 32 iterations of float32 drift by ~7e-5 on flows up to ~20 px.
    torch.testing.assert_close(out.flow_predictions[-1], torch.from_numpy(fixture[f"flow_up_iters{iters}"]),
                               atol=1e-4, rtol=1e-5)
    expected_low = torch.from_numpy(fixture[f"flow_low_iters{iters}"])
    torch.testing.assert_close(out.flow_low, expected_low, atol=1e-4, rtol=0)
    if iters == 12:
        torch.testing.assert_close(torch.stack(out.flow_predictions),
                                   torch.from_numpy(fixture["flow_predictions_iters12"]), atol=1e-4, rtol=0)


@pytest.mark.parametrize("iters", [12, pytest.param(32, marks=pytest.mark.slow)])
def test_raft_large_reproduces_official_flow(large_fixture, iters: int) -> None:
    model, fixture = large_fixture
    out = _run(model, fixture, iters)
    torch.testing.assert_close(out.flow_predictions[-1], torch.from_numpy(fixture[f"flow_up_iters{iters}"]),
                               atol=1e-4, rtol=0)
    expected_low = torch.from_numpy(fixture[f"flow_low_iters{iters}"])
    torch.testing.assert_close(out.flow_low, expected_low, atol=1e-4, rtol=0)


def test_training_returns_every_iteration_and_gradients_reach_encoders() -> None:
    model = raft_small().train()
    image1, image2 = torch.rand(1, 3, 64, 64) * 255, torch.rand(1, 3, 64, 64) * 255
    flows = model(image1, image2, iters=3)
    assert len(flows) == 3 and all(f.shape == (1, 2, 64, 64) for f in flows)
    sum(f.abs().mean() for f in flows).backward()
    assert model.fnet.conv1.weight.grad is not None and model.fnet.conv1.weight.grad.abs().sum() > 0
    assert model.cnet.conv1.weight.grad is not None and model.cnet.conv1.weight.grad.abs().sum() > 0


def test_predict_odd_size_equals_padded_run_cropped_and_restores_modes() -> None:
    model = raft_small().train()
    model.cnet.eval()  # a submodule frozen on purpose must stay so
    image1, image2 = torch.rand(1, 3, 61, 67) * 255, torch.rand(1, 3, 61, 67) * 255
    flow = model.predict(image1, image2, iters=2)
    assert flow.shape == (1, 2, 61, 67) and not flow.requires_grad
    assert model.training and model.fnet.training and not model.cnet.training
    padding = InputPadding.for_size(61, 67)
    model.eval()
    with torch.no_grad():
        reference = model(padding.pad(image1), padding.pad(image2), iters=2)[-1]
    torch.testing.assert_close(flow, padding.unpad(reference))


def test_predict_accepts_uint8_and_matches_float(small_fixture) -> None:
    model, _ = small_fixture
    images = (torch.rand(2, 3, 64, 64) * 255).to(torch.uint8)
    torch.testing.assert_close(model.predict(images[:1], images[1:], iters=2),
                               model.predict(images[:1].float(), images[1:].float(), iters=2))


def test_batch_equals_single_pairs(small_fixture) -> None:
    model, _ = small_fixture
    image1, image2 = torch.rand(2, 3, 64, 64) * 255, torch.rand(2, 3, 64, 64) * 255
    batch = model.predict(image1, image2, iters=2)
    single = model.predict(image1[1:], image2[1:], iters=2)
    torch.testing.assert_close(batch[1:], single, atol=1e-4, rtol=1e-4)


def test_flow_init_zero_is_no_warm_start_and_nonzero_changes_output(small_fixture) -> None:
    model, _ = small_fixture
    image1, image2 = torch.rand(1, 3, 64, 64) * 255, torch.rand(1, 3, 64, 64) * 255
    with torch.no_grad():
        plain = model.forward_with_low(image1, image2, iters=2)
        zero = model.forward_with_low(image1, image2, iters=2, flow_init=torch.zeros(1, 2, 8, 8))
        warm = model.forward_with_low(image1, image2, iters=1, flow_init=torch.ones(1, 2, 8, 8))
    torch.testing.assert_close(plain.flow_low, zero.flow_low)
    assert not torch.allclose(warm.flow_low, plain.flow_low)


def test_exception_messages() -> None:
    model = raft_small()
    with pytest.raises(InputError, match=r"divisible by 8, got 60 \(h\) and 64 \(w\)"):
        model(torch.zeros(1, 3, 60, 64), torch.zeros(1, 3, 60, 64))
    with pytest.raises(InputError, match="at least 64 px"):
        model(torch.zeros(1, 3, 56, 64), torch.zeros(1, 3, 56, 64))
    with pytest.raises(ShapeError, match="image2 must have shape"):
        model(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 72))
    with pytest.raises(ShapeError, match=r"image1 must have shape \(N, 3, H, W\)"):
        model.predict(torch.zeros(3, 64, 64), torch.zeros(3, 64, 64))
    with pytest.raises(InputError, match="iters must be >= 1, got 0"):
        model(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 64), iters=0)
    with pytest.raises(ShapeError, match="flow_init"):
        model(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 64), flow_init=torch.zeros(1, 2, 4, 4))


def test_attributes() -> None:
    assert raft_large().name == "raft" and raft_small().name == "raft-small"
    assert raft_small().trainable is True
