"""``.npz`` files: byte-reproducible writing, and a plain word for a file that cannot be one.

``numpy.savez`` stamps every zip member with the current time, so the same arrays written twice give different
bytes. ``flowpose synth`` promises "same seed, same bytes", so every npz the package writes goes through
:func:`write_npz`, which fixes the timestamp and member order, and writes atomically.

``numpy.load`` unpickles any file that is neither a zip archive nor an ``.npy`` array. With pickles refused, a
text file or a web page saved under an ``.npz`` name is then reported as "pickled (object) data" that "you can
load unsafely" if you trust it: wrong, and bad advice. Readers call :func:`npz_header_problem` (or
:func:`npy_header_problem`) first.

``numpy.load(path)`` opens the file itself and, when the archive is corrupt or truncated, raises without closing it:
each bad file read leaves a file handle open for the life of the process (a batch, or a user's loop over files). The
package's readers go through :func:`open_npz`, which opens and closes the file.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
import zlib
from contextlib import contextmanager
from typing import Iterable, Iterator, Mapping

import numpy as np

from flowpose.errors import InputError
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


READ_ERRORS: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)
"""What reading a corrupt or truncated ``.npz`` raises: a bad zip directory, a bad deflate stream, a member cut
short, an unreadable file, a bad ``.npy`` header."""

PICKLE_ERRORS: tuple[type[Exception], ...] = (pickle.UnpicklingError, AttributeError, ImportError)
"""What unpickling an object array can raise besides :data:`READ_ERRORS`."""


@contextmanager
def open_npz(
    path: str | os.PathLike[str], what: str, *, allow_pickle: bool = False
) -> Iterator[np.lib.npyio.NpzFile]:
    """Open an ``.npz`` archive for reading its members; the file is closed on leaving, also when it fails.

    Args:
        path: an existing file.
        what: what the file should be, for messages ("pose file").
        allow_pickle: read object arrays (trusted files only).

    Yields:
        The open archive. Errors reading its members are the caller's (see :data:`READ_ERRORS`).

    Raises:
        InputError: naming the path, for a file that is not an archive of named arrays (see
            :func:`npz_header_problem`), is corrupt or truncated, or is a single ``.npy`` array.
    """
    errors = READ_ERRORS + (PICKLE_ERRORS if allow_pickle else ())
    unreadable = f"{path}: not a readable .npz {what} (corrupt or truncated?)"
    try:
        problem = npz_header_problem(path)
    except OSError as e:
        raise InputError(f"{unreadable}: {e}") from None
    if problem is not None:
        raise InputError(f"{unreadable}: {problem}")
    with open(path, "rb") as f:
        try:
            data = np.load(f, allow_pickle=allow_pickle)
        except errors as e:
            raise InputError(f"{unreadable}: {e}") from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise InputError(f"{path}: expected a {what} (.npz archive of named arrays), got a single .npy array")
        with data:
            yield data


def read_npz(
    path: str | os.PathLike[str], what: str, *, keys: Iterable[str] | None = None
) -> dict[str, np.ndarray]:
    """Read the arrays of an ``.npz`` file eagerly, turning any decoding failure into an InputError.

    Args:
        path: an existing ``.npz`` file.
        what: what the file should be, for messages.
        keys: read only these arrays, those of them the file has; None: every array.

    Returns:
        Key -> array. Pickled (object) arrays are refused.

    Raises:
        InputError: for a file that is not a valid ``.npz`` archive (corrupt, truncated, pickled data).

    Example:
        >>> import tempfile, pathlib
        >>> cut = pathlib.Path(tempfile.mkdtemp()) / "poses.npz"
        >>> _ = cut.write_bytes(b"PK\\x03\\x04 and then nothing")
        >>> read_npz(cut, "pose file")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        flowpose.errors.InputError: ...poses.npz: not a readable .npz pose file (corrupt or truncated?): File is not a zip file
    """
    with open_npz(path, what) as data:
        names = data.files if keys is None else [k for k in keys if k in data.files]
        try:
            return {k: data[k] for k in names}
        except READ_ERRORS as e:
            raise InputError(f"{path}: not a readable .npz {what} (corrupt or truncated?): {e}") from None


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
