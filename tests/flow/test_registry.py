"""Building flow backends by name."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import pytest
import torch

from flowpose.errors import InputError, WeightsUnavailableError
from flowpose.flow import weights as W
from flowpose.flow.classical import DISFlow
from flowpose.flow.registry import FLOW_BACKENDS, flow_backend, load_flow_model
from tests.conftest import shared_path


def test_one_table() -> None:
    assert list(FLOW_BACKENDS) == ["raft", "raft-small", "gma", "dis"]
    for name, backend in FLOW_BACKENDS.items():
        assert backend.name == name and backend.about
        assert backend.takes_weights == backend.trainable  # the networks take weights and are fine-tuned
        assert all(W.FLOW_WEIGHTS[w].model == name for w in backend.default_weights)
    assert flow_backend("dis").default_weight_name() is None


@pytest.mark.parametrize("name", [n for n, b in FLOW_BACKENDS.items() if b.trainable])
def test_network_builder_smoke(name: str) -> None:
    model = FLOW_BACKENDS[name].build()
    assert model.name == name and model.trainable is True
    flow = model.predict(torch.rand(1, 3, 64, 64) * 255, torch.rand(1, 3, 64, 64) * 255, iters=1)
    assert flow.shape == (1, 2, 64, 64) and torch.isfinite(flow).all()


def test_default_prefers_embedded_raft_small(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(W, "EMBEDDED_DIR", tmp_path)
    assert flow_backend("raft-small").default_weight_name() == "raft-small"
    assert flow_backend("raft").default_weight_name() == "raft-things"
    assert flow_backend("gma").default_weight_name() == "gma-things"
    (tmp_path / "raft_small_flowpose.pt").write_bytes(b"ours")
    assert flow_backend("raft-small").default_weight_name() == "flowpose-raft-small"


def test_unknown_name_lists_choices() -> None:
    with pytest.raises(InputError, match=r"unknown flow model 'flownet'.*'dis'.*'gma'.*'raft'.*'raft-small'"):
        load_flow_model("flownet")


def test_dis() -> None:
    model = load_flow_model("dis")
    assert isinstance(model, DISFlow) and not model.training and model.trainable is False
    with pytest.raises(InputError, match="takes no weights"):
        load_flow_model("dis", weights="raft-things")


def test_random_init_warns_and_is_eval() -> None:
    with pytest.warns(UserWarning, match="random weights"):
        model = load_flow_model("raft-small", weights="random")
    assert not model.training and model.name == "raft-small" and model.trainable
    flow = model.predict(torch.rand(1, 3, 64, 64) * 255, torch.rand(1, 3, 64, 64) * 255, iters=1)
    assert flow.shape == (1, 2, 64, 64)


def test_loads_checkpoint_file() -> None:
    path = shared_path("fixtures", "flow_compat", "raft_small_seed0.pt")
    model = load_flow_model("raft-small", weights=path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    own = model.state_dict()
    some = [k for k in state if k in own][:5]
    assert some and all(torch.equal(own[k], state[k]) for k in some)


def test_wrong_checkpoint_for_network_is_input_error() -> None:
    path = shared_path("fixtures", "flow_compat", "raft_small_seed0.pt")
    with pytest.raises(InputError, match="does not fit the 'raft' network"):
        load_flow_model("raft", weights=path)


def test_default_weights_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLOWPOSE_CACHE", str(tmp_path))
    monkeypatch.setattr(W, "EMBEDDED_DIR", tmp_path / "none")

    def offline(url: str, timeout: float = 0) -> None:
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(W, "urlopen", offline)
    with pytest.raises(WeightsUnavailableError, match="'raft-small'.*--flow-weights PATH"):
        load_flow_model("raft-small")
