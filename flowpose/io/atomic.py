"""Atomic file writing: an output appears whole or not at all, and inputs are never overwritten."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary name keeps the final suffix (``.x.tmp123.npz``) so that libraries which choose a format by
    suffix (numpy, OpenCV) still do. On any exception the temporary file is removed and ``path`` is untouched.

    Args:
        path: the final destination.

    Yields:
        The temporary path to write to.

    Example:
        >>> with atomic_path("out.npz") as tmp:  # doctest: +SKIP
        ...     np.savez(tmp, a=1)
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates the file private (0600); give it the permissions a plain open() would (0666 & ~umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
