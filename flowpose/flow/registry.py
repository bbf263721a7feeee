"""The flow backends, in one table: name, builder, default weights, whether the loop may fine-tune it.

Every backend has ``predict(image1, image2, *, iters=12) -> (N, 2, H, W)`` on float RGB images in [0, 255],
plus ``name`` and ``trainable``. The networks are imported when built, so that DIS works without them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from flowpose.errors import InputError, unknown_name_error
from flowpose.flow.weights import RANDOM, installed_or_downloadable, resolve_weights


def _raft() -> nn.Module:
    from flowpose.flow.raft import raft_large

    return raft_large()


def _raft_small() -> nn.Module:
    from flowpose.flow.raft import raft_small

    return raft_small()


def _gma() -> nn.Module:
    from flowpose.flow.gma import gma

    return gma()


def _dis() -> nn.Module:
    from flowpose.flow.classical import DISFlow

    return DISFlow()


@dataclass(frozen=True)
class FlowBackend:
    """One flow backend.

    Attributes:
        name: what ``--flow`` and :func:`load_flow_model` call it.
        build: makes the model with random (or no) weights.
        default_weights: :data:`flowpose.flow.weights.FLOW_WEIGHTS` names in order of preference (an embedded
            one is skipped when the installation lacks its file); empty for a backend that takes no weights.
        trainable: whether the refinement loop fine-tunes it (the networks; not DIS).
        about: one line for users.
    """

    name: str
    build: Callable[[], nn.Module]
    default_weights: tuple[str, ...]
    trainable: bool
    about: str

    @property
    def takes_weights(self) -> bool:
        """Whether ``--flow-weights`` applies."""
        return bool(self.default_weights)

    def default_weight_name(self) -> str | None:
        """The first of :attr:`default_weights` this installation can use (None: takes no weights)."""
        for name in self.default_weights:
            if installed_or_downloadable(name):
                return name
        return self.default_weights[-1] if self.default_weights else None


FLOW_BACKENDS: dict[str, FlowBackend] = {
    b.name: b
    for b in (
        FlowBackend("raft", _raft, ("raft-things",), True, "RAFT (Teed & Deng 2020), official C+T weights"),
        FlowBackend(
            "raft-small",
            _raft_small,
            ("flowpose-raft-small", "raft-small"),
            True,
            "RAFT-small; the embedded flowpose weights (offline), else the official C+T weights",
        ),
        FlowBackend("gma", _gma, ("gma-things",), True, "GMA (Jiang et al. 2021), official C+T weights"),
        FlowBackend("dis", _dis, (), False, "OpenCV DIS, classical, no weights, not fine-tuned"),
    )
}
"""Every flow backend by name (:func:`load_flow_model`, ``flowpose refine --flow``)."""


def flow_backend(name: str) -> FlowBackend:
    """The :data:`FLOW_BACKENDS` entry called ``name``; InputError listing the choices for an unknown one."""
    if name not in FLOW_BACKENDS:
        raise unknown_name_error("flow model", name, list(FLOW_BACKENDS))
    return FLOW_BACKENDS[name]


def load_flow_model(name: str, weights: str | Path | None = None, device: str = "cpu") -> nn.Module:
    """Build a flow backend, load its weights and put it in eval mode on ``device``.

    Args:
        name: a key of :data:`FLOW_BACKENDS`.
        weights: for a backend that takes weights, a checkpoint path, a
            :data:`flowpose.flow.weights.FLOW_WEIGHTS` name, ``"random"`` (random initialisation, with a
            warning), or None for its default (:meth:`FlowBackend.default_weight_name`; an official checkpoint
            is downloaded once). Must be None for a backend that takes none (``dis``).
        device: torch device, e.g. ``"cpu"`` or ``"cuda"``.

    Returns:
        The model, in eval mode, on ``device``.

    Raises:
        InputError: unknown name, weights given to a backend that takes none, or a bad weights option.
        WeightsUnavailableError: default or named weights that are neither cached nor downloadable.

    Example:
        >>> load_flow_model("dis").name
        'dis'
    """
    backend = flow_backend(name)
    model = backend.build()
    if not backend.takes_weights:
        if weights is not None:
            raise InputError(f"the {name!r} flow model takes no weights, got weights {weights}")
        return model.to(device).eval()
    from flowpose.flow.checkpoint import load_flow_checkpoint

    path = resolve_weights(backend.default_weight_name() if weights is None else str(weights), model=name)
    if path is None:
        warnings.warn(
            f"flow model {name!r} uses random weights ({RANDOM!r}): its flow will be poor until it is "
            "trained or fine-tuned",
            stacklevel=2,
        )
    else:
        load_flow_checkpoint(model, path, name)
    return model.to(device).eval()
