"""Loading official RAFT / GMA checkpoints (and torchvision-layout RAFT ones) into our modules, strictly.

Official files (princeton-vl/RAFT ``raft-things.pth`` ..., zacjiang/GMA ``gma-things.pth`` ...) differ from
our ``state_dict`` only in packaging, which :func:`normalize_state_dict` undoes:

1. an optional ``{"state_dict": ...}`` wrapper;
2. the ``module.`` prefix of ``nn.DataParallel``;
3. the torchvision layout (``feature_encoder.convnormrelu.0.weight`` ...), renamed back with the systematic
   rules of :data:`TORCHVISION_TO_OFFICIAL` (RAFT and RAFT-small only; torchvision has no GMA);
4. the aliased skip-path norm: stride-2 blocks register one norm as ``norm3`` (residual) / ``norm4``
   (bottleneck) *and* ``downsample.1``; whichever name is present is copied to the other;
5. ``num_batches_tracked`` of BatchNorm, filled with 0 where an old file lacks it (unused at eval).

:func:`load_flow_checkpoint` then loads with ``strict=True`` and turns any mismatch into an
:class:`~flowpose.errors.InputError` naming the file and the offending keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from flowpose.errors import InputError, unknown_name_error

SKIP_NORM = {"raft": "norm3", "gma": "norm3", "raft-small": "norm4"}
"""Name under which each network's stride-2 blocks register their skip-path norm besides ``downsample.1``."""

_ENC = r"(fnet|cnet)"
_TV_ENC = r"(feature_encoder|context_encoder)"

OFFICIAL_TO_TORCHVISION: tuple[tuple[str, str], ...] = (
    (r"^fnet\.", "feature_encoder."),
    (r"^cnet\.", "context_encoder."),
    (rf"^{_TV_ENC}\.conv1\.", r"\1.convnormrelu.0."),
    (rf"^{_TV_ENC}\.norm1\.", r"\1.convnormrelu.1."),
    (rf"^{_TV_ENC}\.conv2\.", r"\1.conv."),
    (r"\.(layer[123]\.[01])\.conv([123])\.", r".\1.convnormrelu\2.0."),
    (r"\.(layer[123]\.[01])\.norm([123])\.", r".\1.convnormrelu\2.1."),
    (r"^update_block\.encoder\.convc([12])\.", r"update_block.motion_encoder.convcorr\1.0."),
    (r"^update_block\.encoder\.convf([12])\.", r"update_block.motion_encoder.convflow\1.0."),
    (r"^update_block\.encoder\.conv\.", "update_block.motion_encoder.conv.0."),
    (r"^update_block\.gru\.conv([zrq])([12])\.", r"update_block.recurrent_block.convgru\2.conv\1."),
    (r"^update_block\.gru\.conv([zrq])\.", r"update_block.recurrent_block.convgru1.conv\1."),
    (r"^update_block\.mask\.0\.", "mask_predictor.convrelu.0."),
    (r"^update_block\.mask\.2\.", "mask_predictor.conv."),
)
"""Official -> torchvision key renames, applied in order, each once (after dropping the skip-norm alias)."""

TORCHVISION_TO_OFFICIAL: tuple[tuple[str, str], ...] = (
    (r"^feature_encoder\.", "fnet."),
    (r"^context_encoder\.", "cnet."),
    (rf"^{_ENC}\.convnormrelu\.0\.", r"\1.conv1."),
    (rf"^{_ENC}\.convnormrelu\.1\.", r"\1.norm1."),
    (rf"^{_ENC}\.conv\.", r"\1.conv2."),
    (r"\.(layer[123]\.[01])\.convnormrelu([123])\.0\.", r".\1.conv\2."),
    (r"\.(layer[123]\.[01])\.convnormrelu([123])\.1\.", r".\1.norm\2."),
    (r"^update_block\.motion_encoder\.convcorr([12])\.0\.", r"update_block.encoder.convc\1."),
    (r"^update_block\.motion_encoder\.convflow([12])\.0\.", r"update_block.encoder.convf\1."),
    (r"^update_block\.motion_encoder\.conv\.0\.", "update_block.encoder.conv."),
    (r"^mask_predictor\.convrelu\.0\.", "update_block.mask.0."),
    (r"^mask_predictor\.conv\.", "update_block.mask.2."),
)
"""Torchvision -> official key renames, the inverse of :data:`OFFICIAL_TO_TORCHVISION` except for the GRU,
whose official name depends on the network (see :func:`_gru_rule`)."""


def _gru_rule(model_name: str) -> tuple[str, str]:
    # RAFT's SepConvGRU names its two passes convz1/convz2; RAFT-small's single ConvGRU has plain convz.
    if model_name == "raft-small":
        return r"^update_block\.recurrent_block\.convgru1\.conv([zrq])\.", r"update_block.gru.conv\1."
    return r"^update_block\.recurrent_block\.convgru([12])\.conv([zrq])\.", r"update_block.gru.conv\2\1."


def _rename(key: str, rules: tuple[tuple[str, str], ...]) -> str:
    for pattern, replacement in rules:
        key = re.sub(pattern, replacement, key)
    return key


def _check_name(model_name: str) -> None:
    if model_name not in SKIP_NORM:
        raise unknown_name_error("flow network", model_name, list(SKIP_NORM))


def to_torchvision_layout(state_dict: Mapping[str, Tensor], model_name: str) -> dict[str, Tensor]:
    """Rename an official-layout RAFT state dict (bare keys) to torchvision's ``raft_large``/``raft_small``.

    Args:
        state_dict: official keys without ``module.``.
        model_name: ``"raft"`` or ``"raft-small"``.

    Returns:
        The torchvision-layout dict (the skip-norm aliases ``norm3``/``norm4`` dropped, as torchvision
        registers that norm once, as ``downsample.1``).

    Raises:
        InputError: for ``"gma"`` (torchvision has no GMA) or an unknown name.
    """
    _check_name(model_name)
    if model_name == "gma":
        raise InputError("torchvision has no GMA; to_torchvision_layout takes 'raft' or 'raft-small'")
    alias = re.compile(rf"\.layer[123]\.0\.{SKIP_NORM[model_name]}\.")
    return {_rename(k, OFFICIAL_TO_TORCHVISION): v for k, v in state_dict.items() if not alias.search(k)}


def _from_torchvision_layout(state_dict: Mapping[str, Tensor], model_name: str) -> dict[str, Tensor]:
    if model_name == "gma":
        raise InputError(
            "got a torchvision-layout state dict (feature_encoder.*) for 'gma'; torchvision has no GMA"
        )
    rules = TORCHVISION_TO_OFFICIAL + (_gru_rule(model_name),)
    return {_rename(k, rules): v for k, v in state_dict.items()}


def _complete_aliases(state_dict: dict[str, Tensor], model_name: str) -> dict[str, Tensor]:
    """Make both names of each stride-2 skip-path norm present (``normK`` <-> ``downsample.1``), and give
    every BatchNorm a ``num_batches_tracked`` (0 where missing)."""
    norm = SKIP_NORM[model_name]
    to_norm = re.compile(rf"^({_ENC}\.layer[123]\.\d+)\.downsample\.1\.(.+)$")
    to_down = re.compile(rf"^({_ENC}\.layer[123]\.\d+)\.{norm}\.(.+)$")
    out: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        out[key] = value
        if m := to_norm.match(key):
            out.setdefault(f"{m.group(1)}.{norm}.{m.group(3)}", value)
        elif m := to_down.match(key):
            out.setdefault(f"{m.group(1)}.downsample.1.{m.group(3)}", value)
    for key in [k for k in out if k.endswith(".running_mean")]:
        out.setdefault(key[: -len("running_mean")] + "num_batches_tracked", torch.tensor(0, dtype=torch.long))
    return out


def normalize_state_dict(state_dict: Mapping[str, Tensor], model_name: str) -> dict[str, Tensor]:
    """Bring a checkpoint's state dict to our (= the official bare) key layout; see the module docstring.

    Args:
        state_dict: as loaded from an official ``.pth`` (``module.``-prefixed), a bare one, a torchvision
            one, or any mix of the aliased names; may be wrapped as ``{"state_dict": ...}``.
        model_name: ``"raft"``, ``"raft-small"`` or ``"gma"``.

    Returns:
        A new dict; tensors are shared, not copied.

    Raises:
        InputError: for an unknown model name, or a torchvision layout given for ``"gma"``.

    Example:
        >>> sd = {"module.cnet.layer2.0.norm3.weight": torch.ones(2)}
        >>> sorted(normalize_state_dict(sd, "raft"))
        ['cnet.layer2.0.downsample.1.weight', 'cnet.layer2.0.norm3.weight']
    """
    _check_name(model_name)
    inner = state_dict.get("state_dict") if "state_dict" in state_dict else state_dict
    if not isinstance(inner, Mapping):
        raise InputError(f"'state_dict' entry must be a mapping of tensors, got {type(inner).__name__}")
    sd = {(k[len("module.") :] if k.startswith("module.") else k): v for k, v in inner.items()}
    if any(k.startswith(("feature_encoder.", "context_encoder.")) for k in sd):
        sd = _from_torchvision_layout(sd, model_name)
    return _complete_aliases(sd, model_name)


def _listed(keys: list[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return f"[{shown}{f', ... and {len(keys) - limit} more' if len(keys) > limit else ''}] ({len(keys)})"


def read_state_dict(path: Path) -> Mapping[str, Tensor]:
    """Load a checkpoint file as it is stored (no renaming), on the CPU, without unpickling code.

    Args:
        path: a ``.pt``/``.pth`` file.

    Returns:
        The mapping stored in it (a state dict, possibly wrapped as ``{"state_dict": ...}``).

    Raises:
        InputError: if the file is missing, cannot be unpickled, or does not hold a mapping.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint file")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        # torch's own message advises weights_only=False, i.e. running the file's pickled code: never relay it.
        raise InputError(
            f"{path}: cannot be read as a PyTorch checkpoint: corrupt, or it holds pickled objects other than "
            f"tensors, which flowpose refuses to load ({type(exc).__name__})"
        ) from None
    if not isinstance(loaded, Mapping):
        raise InputError(f"{path}: expected a state dict (a mapping of tensors), got {type(loaded).__name__}")
    return loaded


def load_flow_checkpoint(
    model: nn.Module, path_or_state_dict: str | Path | Mapping[str, Tensor], model_name: str
) -> nn.Module:
    """Load official (or torchvision-layout) weights into ``model`` with ``strict=True``.

    Args:
        model: e.g. ``raft_large()``; modified in place.
        path_or_state_dict: a ``.pth`` file or an already loaded state dict, raw or ``{"state_dict": ...}``.
        model_name: ``"raft"``, ``"raft-small"`` or ``"gma"`` (selects the alias and renaming rules).

    Returns:
        ``model``, with the weights loaded.

    Raises:
        InputError: if the file is missing or unreadable, or its keys or shapes do not match the model; the
            message names the file and lists the missing, unexpected and mis-shaped keys.
    """
    if isinstance(path_or_state_dict, (str, Path)):
        source = str(path_or_state_dict)
        raw = read_state_dict(Path(path_or_state_dict))
    else:
        source = "<state dict>"
        raw = path_or_state_dict
    sd = normalize_state_dict(raw, model_name)
    expected = model.state_dict()
    missing = [k for k in expected if k not in sd]
    unexpected = [k for k in sd if k not in expected]
    mis_shaped = [
        f"{k}: checkpoint {tuple(sd[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in sd and isinstance(sd[k], Tensor) and sd[k].shape != v.shape
    ]
    if missing or unexpected or mis_shaped:
        problems = [
            f"missing keys {_listed(missing)}" if missing else "",
            f"unexpected keys {_listed(unexpected)}" if unexpected else "",
            f"shape mismatches {_listed(mis_shaped)}" if mis_shaped else "",
        ]
        raise InputError(
            f"{source}: checkpoint does not fit the {model_name!r} network: "
            + "; ".join(p for p in problems if p)
            + ". Is it a checkpoint of a different network?"
        )
    model.load_state_dict(sd, strict=True)
    return model
