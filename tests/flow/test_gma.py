"""Tests of flowpose.flow.gma: attention and aggregation by hand, official layout and outputs (fixtures)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from flowpose.errors import InputError
from flowpose.flow.gma import Aggregate, Attention, GMAUpdateBlock, gma
from tests.conftest import shared_path

FIXTURES = ("fixtures", "flow_compat")


def test_attention_is_scaled_softmax_of_query_key_products() -> None:
    att = Attention(dim=8, heads=2, dim_head=4, max_pos_size=16)
    context = torch.randn(1, 8, 3, 5)
    qk = att.to_qk(context)
    q, k = qk[:, :8].reshape(1, 2, 4, 15), qk[:, 8:].reshape(1, 2, 4, 15)  # channels (head, d)
    expected = torch.softmax(torch.einsum("bhdi,bhdj->bhij", q, k) / 2.0, dim=-1)  # 1/sqrt(4)
    out = att(context)
    assert out.shape == (1, 2, 15, 15)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(out.sum(-1), torch.ones(1, 2, 15))


def test_attention_with_zero_projection_is_uniform() -> None:
    att = Attention(dim=4, heads=1, dim_head=4, max_pos_size=8)
    nn.init.zeros_(att.to_qk.weight)
    torch.testing.assert_close(att(torch.randn(2, 4, 2, 3)), torch.full((2, 1, 6, 6), 1 / 6))


def test_aggregate_gamma_zero_is_identity_and_hand_case() -> None:
    agg = Aggregate(dim=4, heads=1, dim_head=4)
    motion = torch.randn(1, 4, 2, 3)
    attn = torch.softmax(torch.randn(1, 1, 6, 6), dim=-1)
    torch.testing.assert_close(agg(attn, motion), motion)  # gamma initialised to 0
    with torch.no_grad():
        agg.gamma.fill_(0.5)
        agg.to_v.weight.copy_(torch.eye(4).view(4, 4, 1, 1))
    # Attention = identity: every pixel aggregates only itself -> m + 0.5 m.
    torch.testing.assert_close(agg(torch.eye(6).view(1, 1, 6, 6), motion), 1.5 * motion)
    # Uniform attention: every pixel adds 0.5 * the mean motion.
    uniform = torch.full((1, 1, 6, 6), 1 / 6)
    torch.testing.assert_close(agg(uniform, motion), motion + 0.5 * motion.mean(dim=(2, 3), keepdim=True))


def test_aggregate_projects_when_heads_change_width() -> None:
    agg = Aggregate(dim=4, heads=2, dim_head=4)
    assert agg.project is not None
    assert agg(torch.full((1, 2, 6, 6), 1 / 6), torch.randn(1, 4, 2, 3)).shape == (1, 4, 2, 3)


def test_exception_update_block_without_attention() -> None:
    block = GMAUpdateBlock()
    with pytest.raises(InputError, match="needs the attention"):
        hidden, context = torch.zeros(1, 128, 2, 2), torch.zeros(1, 128, 2, 2)
        block(hidden, context, torch.zeros(1, 324, 2, 2), torch.zeros(1, 2, 2, 2))


def test_state_dict_equals_official_manifest() -> None:
    manifest = json.loads(shared_path(*FIXTURES, "manifest_gma.json").read_text())
    model = gma()
    sd = model.state_dict()
    assert list(sd) == [e["name"] for e in manifest["state_dict"]]
    assert [list(v.shape) for v in sd.values()] == [e["shape"] for e in manifest["state_dict"]]
    assert sum(p.numel() for p in model.parameters()) == manifest["total_parameter_count_unique"]
    assert model.name == "gma" and model.trainable


def test_rel_ind_buffer_equals_official() -> None:
    weights = torch.load(shared_path(*FIXTURES, "gma_seed0_perturbed.pt"), weights_only=True)
    torch.testing.assert_close(gma().state_dict()["att.pos_emb.rel_ind"], weights["att.pos_emb.rel_ind"])


@pytest.fixture(scope="module")
def gma_fixture() -> tuple[nn.Module, dict[str, np.ndarray]]:
    model = gma().eval()
    weights = torch.load(shared_path(*FIXTURES, "gma_seed0_perturbed.pt"), weights_only=True)
    model.load_state_dict(weights, strict=True)
    return model, dict(np.load(shared_path(*FIXTURES, "fixture_gma_seed0_perturbed.npz")))


@pytest.mark.parametrize("iters", [12, pytest.param(32, marks=pytest.mark.slow)])
def test_gma_reproduces_official_flow(gma_fixture, iters: int) -> None:
    model, fixture = gma_fixture
    with torch.no_grad():
        out = model.forward_with_low(
            torch.from_numpy(fixture["image1"]), torch.from_numpy(fixture["image2"]), iters=iters
        )
    torch.testing.assert_close(out.flow_predictions[-1], torch.from_numpy(fixture[f"flow_up_iters{iters}"]),
                               atol=1e-4, rtol=0)
    expected_low = torch.from_numpy(fixture[f"flow_low_iters{iters}"])
    torch.testing.assert_close(out.flow_low, expected_low, atol=1e-4, rtol=0)


def test_gma_trains_and_gamma_gets_gradient() -> None:
    model = gma().train()
    flows = model(torch.rand(1, 3, 64, 64) * 255, torch.rand(1, 3, 64, 64) * 255, iters=2)
    assert len(flows) == 2
    flows[-1].abs().mean().backward()
    assert model.update_block.aggregator.gamma.grad is not None
    assert model.att.to_qk.weight.grad is not None
