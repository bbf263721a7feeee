"""``.npz`` files: byte-reproducible writing, and a plain word for a file that cannot be one.

``numpy.savez`` stamps every zip member with the current time, so the same arrays written twice give different
bytes. ``flowpose synth`` promises "same seed, same bytes", so every npz the package writes goes through
:func:`write_npz`, which fixes the timestamp and member order, and writes atomically.

``numpy.load`` unpickles any file that is neither a zip archive nor an ``.npy`` array. With pickles refused, a
text file or a web page saved under an ``.npz`` name is then reported as "pickled (object) data" that "you can
load unsafely" if you trust it: wrong, and bad advice. Readers call :func:`npz_header_problem` (or
:func:`npy_header_problem`) first.
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import Mapping

import numpy as np

from flowpose.io.atomic import atomic_path

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip member can carry
_ZIP_MAGIC = b"PK"  # every zip archive, and so every .npz, starts with a "PK" record
_NPY_MAGIC = b"\x93NUMPY"


def first_bytes(path: str | os.PathLike[str]) -> bytes:
    """As many of the file's first bytes as the longer magic string has (fewer in a shorter file)."""
    with open(path, "rb") as f:
        return f.read(len(_NPY_MAGIC))


def npz_header_problem(path: str | os.PathLike[str]) -> str | None:
    """Why the file at ``path`` cannot be an ``.npz`` archive, judged by its first bytes; None when it may be one
    (a zip archive, whole or not) or is a single ``.npy`` array, which callers name themselves.

    Raises:
        OSError: when the file cannot be opened.

    Example:
        >>> import tempfile, pathlib
        >>> page = pathlib.Path(tempfile.mkdtemp()) / "poses.npz"
        >>> _ = page.write_text("<html>Not Found</html>")
        >>> npz_header_problem(page)
        "not a zip archive, as every .npz is (it starts with b'<htm')"
    """
    head = first_bytes(path)
    if not head:
        return "the file is empty"
    if head.startswith(_ZIP_MAGIC) or head.startswith(_NPY_MAGIC):
        return None
    return f"not a zip archive, as every .npz is (it starts with {head[:4]!r})"


def npy_header_problem(path: str | os.PathLike[str]) -> str | None:
    """Why the file at ``path`` cannot be an ``.npy`` array, judged by its first bytes; None when it may be one.

    Raises:
        OSError: when the file cannot be opened.
    """
    head = first_bytes(path)
    if not head:
        return "the file is empty"
    if head.startswith(_NPY_MAGIC):
        return None
    if head.startswith(_ZIP_MAGIC):
        return "a zip archive (an .npz?), not an .npy array"
    return f"not an .npy array, which starts with {_NPY_MAGIC!r} (it starts with {head[:4]!r})"


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
