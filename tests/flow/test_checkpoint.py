"""Tests of flowpose.flow.checkpoint: prefixes, aliases, torchvision layout (against the shared mapping),
wrappers and the errors for files that do not fit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from flowpose.errors import InputError
from flowpose.flow.checkpoint import load_flow_checkpoint, normalize_state_dict, to_torchvision_layout
from flowpose.flow.gma import gma
from flowpose.flow.raft import raft_large, raft_small
from tests.conftest import shared_path

FIXTURES = ("fixtures", "flow_compat")


def _weights(name: str) -> dict[str, torch.Tensor]:
    return torch.load(shared_path(*FIXTURES, f"{name}.pt"), weights_only=True)


def _mapping() -> dict:
    return json.loads(shared_path(*FIXTURES, "torchvision_mapping.json").read_text())


@pytest.fixture(scope="module")
def small_pair() -> tuple[torch.Tensor, torch.Tensor]:
    fixture = np.load(shared_path(*FIXTURES, "fixture_raft_small_seed0.npz"))
    return torch.from_numpy(fixture["image1"]), torch.from_numpy(fixture["image2"])


def _flow(model: torch.nn.Module, pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    return model.predict(*pair, iters=3)


def test_module_prefix_and_bare_give_identical_output(small_pair) -> None:
    bare = _weights("raft_small_seed0")
    prefixed = {f"module.{k}": v for k, v in bare.items()}
    a = load_flow_checkpoint(raft_small(), bare, "raft-small")
    b = load_flow_checkpoint(raft_small(), prefixed, "raft-small")
    torch.testing.assert_close(_flow(a, small_pair), _flow(b, small_pair), atol=0, rtol=0)


def test_file_with_state_dict_wrapper(tmp_path: Path, small_pair) -> None:
    bare = _weights("raft_small_seed0")
    path = tmp_path / "wrapped.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in bare.items()}}, path)
    model = load_flow_checkpoint(raft_small(), path, "raft-small")
    reference = load_flow_checkpoint(raft_small(), bare, "raft-small")
    torch.testing.assert_close(_flow(model, small_pair), _flow(reference, small_pair), atol=0, rtol=0)


@pytest.mark.parametrize("keep", ["norm3", "downsample.1"])
def test_either_alias_name_restores_both(keep: str) -> None:
    full = _weights("raft_large_seed0_perturbed")
    drop = "downsample.1" if keep == "norm3" else "norm3"
    partial = {k: v for k, v in full.items() if (".0." + drop + ".") not in k}
    assert len(partial) == len(full) - 10
    restored = normalize_state_dict(partial, "raft")
    assert set(restored) == set(full)
    restored_var = restored["cnet.layer3.0.norm3.running_var"]
    torch.testing.assert_close(restored_var, full["cnet.layer3.0.downsample.1.running_var"])


def test_missing_num_batches_tracked_is_filled() -> None:
    full = _weights("raft_large_seed0_perturbed")
    old = {k: v for k, v in full.items() if not k.endswith("num_batches_tracked")}
    restored = normalize_state_dict(old, "raft")
    assert set(restored) == set(full)
    assert restored["cnet.norm1.num_batches_tracked"].item() == 0
    load_flow_checkpoint(raft_large(), old, "raft")


@pytest.mark.parametrize(("model_name", "key"), [("raft", "raft_large"), ("raft-small", "raft_small")])
def test_torchvision_renames_equal_shared_mapping(model_name: str, key: str) -> None:
    key_map = _mapping()[f"{key}_key_map_official_to_torchvision"]
    official = {k.removeprefix("module."): torch.zeros(1) for k in key_map}
    expected = {k.removeprefix("module."): v for k, v in key_map.items() if v is not None}
    converted = to_torchvision_layout(official, model_name)
    assert list(converted) == list(expected.values())
    # And back: torchvision names -> every official name, aliases included.
    tv_names = [e["name"] for e in _mapping()[f"{key}_torchvision_state_dict"]]
    back = normalize_state_dict({n: torch.zeros(1) for n in tv_names}, model_name)
    assert set(back) == set(official)


def test_torchvision_layout_raft_small_loads_and_gives_identical_output(small_pair) -> None:
    bare = _weights("raft_small_seed0")
    tv = to_torchvision_layout(bare, "raft-small")
    assert all(k.startswith(("feature_encoder.", "context_encoder.", "update_block.")) for k in tv)
    a = load_flow_checkpoint(raft_small(), tv, "raft-small")
    b = load_flow_checkpoint(raft_small(), bare, "raft-small")
    torch.testing.assert_close(_flow(a, small_pair), _flow(b, small_pair), atol=0, rtol=0)


def test_torchvision_layout_raft_large_loads_every_tensor() -> None:
    bare = _weights("raft_large_seed0_perturbed")
    tv = to_torchvision_layout(bare, "raft")
    assert len(tv) == _mapping()["raft_large_seed0"]["n_torchvision_keys"]
    model = load_flow_checkpoint(raft_large(), tv, "raft")
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, bare[k], atol=0, rtol=0)


def test_exception_wrong_network_names_file_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "raft-small.pth"
    torch.save({f"module.{k}": v for k, v in _weights("raft_small_seed0").items()}, path)
    with pytest.raises(InputError) as err:
        load_flow_checkpoint(raft_large(), path, "raft")
    message = str(err.value)
    assert str(path) in message
    assert "missing keys [cnet.norm1.weight" in message
    assert "unexpected keys" in message
    assert "shape mismatches [fnet.conv1.weight: checkpoint (32, 3, 7, 7) vs model (64, 3, 7, 7)" in message


def test_exception_single_shape_mismatch_only_lists_it() -> None:
    sd = dict(_weights("raft_small_seed0"))
    sd["update_block.flow_head.conv2.bias"] = torch.zeros(3)
    pattern = (
        r"<state dict>: .*shape mismatches "
        r"\[update_block.flow_head.conv2.bias: checkpoint \(3,\) vs model \(2,\)\] \(1\)"
    )
    with pytest.raises(InputError, match=pattern) as err:
        load_flow_checkpoint(raft_small(), sd, "raft-small")
    assert "missing" not in str(err.value) and "unexpected" not in str(err.value)


def test_exception_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.pth: no such checkpoint file"):
        load_flow_checkpoint(raft_small(), tmp_path / "nope.pth", "raft-small")
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="garbage.pth: cannot be read as a PyTorch checkpoint"):
        load_flow_checkpoint(raft_small(), garbage, "raft-small")
    listing = tmp_path / "list.pth"
    torch.save([1, 2], listing)
    with pytest.raises(InputError, match="list.pth: expected a state dict"):
        load_flow_checkpoint(raft_small(), listing, "raft-small")


def test_exception_names() -> None:
    with pytest.raises(InputError, match="unknown flow network 'pwc'"):
        normalize_state_dict({}, "pwc")
    with pytest.raises(InputError, match="torchvision has no GMA"):
        normalize_state_dict({"feature_encoder.conv.weight": torch.zeros(1)}, "gma")


def test_gma_checkpoint_with_prefix_loads() -> None:
    weights = _weights("gma_seed0_perturbed")
    model = load_flow_checkpoint(gma(), {f"module.{k}": v for k, v in weights.items()}, "gma")
    assert model.update_block.aggregator.gamma.item() == 0.5
