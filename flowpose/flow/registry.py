"""Flow backends by name: build one, load its weights, and hand it back ready for inference.

Every backend has ``predict(image1, image2, *, iters=12) -> (N, 2, H, W)`` on float RGB images in [0, 255],
plus ``name`` and ``trainable``. The networks are imported lazily, so that DIS works without them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from torch import nn

from flowpose.errors import InputError, unknown_name_error
from flowpose.flow.classical import DISFlow
from flowpose.flow.weights import RANDOM, resolve_weights

FLOW_MODELS = ["raft", "raft-small", "gma", "dis"]
"""Names accepted by :func:`load_flow_model` (and ``flowpose refine --flow``)."""


def load_flow_model(name: str, weights: str | Path | None = None, device: str = "cpu") -> nn.Module:
    """Build a flow backend, load its weights and put it in eval mode on ``device``.

    Args:
        name: one of :data:`FLOW_MODELS`.
        weights: for the networks, a checkpoint path, a :data:`flowpose.flow.weights.FLOW_WEIGHTS` name,
            ``"random"`` (random initialisation, with a warning), or None for the default (the embedded
            flowpose weights for ``raft-small`` when present, else the official "things" checkpoint,
            downloaded once). Must be None for ``dis``.
        device: torch device, e.g. ``"cpu"`` or ``"cuda"``.

    Returns:
        The model, in eval mode, on ``device``.

    Raises:
        InputError: unknown name, weights given for ``dis``, or a bad weights option.
        WeightsUnavailableError: default or named weights that are neither cached nor downloadable.

    Example:
        >>> load_flow_model("dis").name
        'dis'
    """
    if name not in FLOW_MODELS:
        raise unknown_name_error("flow model", name, FLOW_MODELS)
    if name == "dis":
        if weights is not None:
            raise InputError(f"the 'dis' flow model takes no weights, got --flow-weights {weights}")
        return DISFlow().to(device).eval()

    # Imported here: the networks are heavier than DIS and not needed to use it.
    from flowpose.flow.checkpoint import load_flow_checkpoint
    from flowpose.flow.networks import FLOW_NETWORKS

    model = FLOW_NETWORKS[name]()
    path = resolve_weights(None if weights is None else str(weights), model=name)
    if path is None:
        warnings.warn(
            f"flow model {name!r} uses random weights ({RANDOM!r}): its flow will be poor until it is "
            "trained or fine-tuned",
            stacklevel=2,
        )
    else:
        load_flow_checkpoint(model, path, name)
    return model.to(device).eval()
