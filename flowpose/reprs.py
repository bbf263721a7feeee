"""Short reprs for the data a user prints: arrays by dtype and shape, not by every value.

A dataclass's own repr prints each array whole: ``print(result.poses)`` filled a notebook with thousands of
numbers (a 399-frame pose sequence, 4,037 characters), and ``print(result)`` with the flow of every frame.
:func:`short_repr` writes a dataclass's fields the same way but each large array as ``float32[399, 17, 3]``
(with its NaN count, the joints that are unobserved); small arrays (a camera K, a frame rate's few values) stay
whole, on one line.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import numpy as np

SMALL = 9
"""Arrays of at most this many values are written whole (a 3x3 K)."""
LONG = 20
"""Lists and tuples of numbers or strings longer than this are written by their length."""
SCALARS = (bool, int, float, str)
LONG_REPR = 80
"""Another object whose repr is longer than this is written by its type's name."""


def array_summary(a: Any) -> str:
    """``float32[399, 17, 3]``, with `` (399 NaN)`` where some values are NaN; a small array's values.

    Args:
        a: a NumPy array or a torch tensor, any shape.

    Returns:
        One line.

    Example:
        >>> array_summary(np.zeros((399, 17, 3), np.float32))
        'float32[399, 17, 3]'
        >>> array_summary(np.array([np.nan, 1.0] * 6))
        'float64[12] (6 NaN)'
        >>> array_summary(np.array([[866.0254, 0, 499.5], [0, 866.0254, 500.5], [0, 0, 1]], np.float32))
        '[[866.025, 0, 499.5], [0, 866.025, 500.5], [0, 0, 1]]'
    """
    if _is_tensor(a):
        text = f"tensor {str(a.dtype).removeprefix('torch.')}[{', '.join(map(str, a.shape))}]"
        if a.device.type != "cpu":
            text += f" on {a.device}"
        return text
    if a.size <= SMALL:
        return _values(a)
    text = f"{a.dtype}[{', '.join(map(str, a.shape))}]"
    if np.issubdtype(a.dtype, np.floating) and (missing := int(np.isnan(a).sum())):
        text += f" ({missing} NaN)"
    return text


def short_repr(obj: object) -> str:
    """A dataclass as its own repr would write it, but each large array (at any depth of lists, tuples and
    dicts) by :func:`array_summary`, a list of more than three objects (or twenty numbers) by its length and
    first item's type, and another library's object of a long repr by its type.

    Args:
        obj: a dataclass instance.

    Returns:
        ``Name(field=value, ...)`` on one line; a nested data class by its own repr.

    Example:
        >>> from flowpose.flow.field import FlowField
        >>> FlowField(np.zeros((4, 8, 8, 2)), np.ones((4, 8, 8)), np.zeros((4, 2)), np.ones(4), (64, 48))
        FlowField(flow=float32[4, 8, 8, 2], confidence=float32[4, 8, 8], origin=[[0, 0], [0, 0], [0, 0], [0, 0]], scale=[1, 1, 1, 1], image_size=(64, 48), reverse=None)
    """
    fields = (f"{f.name}={_value(getattr(obj, f.name))}" for f in dataclasses.fields(obj) if f.repr)
    return f"{type(obj).__name__}({', '.join(fields)})"


def _value(value: object) -> str:
    if isinstance(value, np.ndarray) or _is_tensor(value):
        return array_summary(value)
    if isinstance(value, (list, tuple)):
        if len(value) > (LONG if all(isinstance(v, SCALARS) for v in value) else 3):
            return f"[{len(value)} × {type(value[0]).__name__}]"
        inner = ", ".join(_value(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_value(v)}" for k, v in value.items()) + "}"
    text = repr(value)
    if len(text) > LONG_REPR and not isinstance(value, str) and not dataclasses.is_dataclass(value):
        return f"<{type(value).__name__}>"  # another library's object (MediaPipe's landmarks), by its type
    return text


def _is_tensor(value: object) -> bool:
    torch = sys.modules.get("torch")  # not imported for it: a tensor exists only where torch was
    return torch is not None and isinstance(value, torch.Tensor)


def _values(a: np.ndarray) -> str:
    """A small array's values as nested lists, floats to 6 significant digits."""
    if a.ndim == 0:
        return f"{a.item():.6g}" if np.issubdtype(a.dtype, np.floating) else repr(a.item())
    return "[" + ", ".join(_values(v) for v in a) + "]"
