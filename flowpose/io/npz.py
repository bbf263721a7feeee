"""Byte-reproducible ``.npz`` writing.

``numpy.savez`` stamps every zip member with the current time, so the same arrays written twice give different
bytes. ``flowpose synth`` promises "same seed, same bytes", so every npz the package writes goes through
:func:`write_npz`, which fixes the timestamp and member order, and writes atomically.
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import Mapping

import numpy as np

from flowpose.io.atomic import atomic_path

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip member can carry


def write_npz(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray], *, compress: bool = True) -> None:
    """Write arrays to an ``.npz`` that ``numpy.load`` reads, with identical bytes for identical arrays.

    Args:
        path: destination; written to a temporary name first and renamed, so it appears whole or not at all.
        arrays: name -> array; strings and scalars are stored as 0-d arrays, like ``numpy.savez``.
        compress: deflate the members (``numpy.savez_compressed``) or store them.
    """
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=method) as zf:
            for name in arrays:
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.asanyarray(arrays[name]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
                info.compress_type = method
                info.external_attr = 0o644 << 16
                zf.writestr(info, buf.getvalue())
