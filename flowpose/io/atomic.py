"""Atomic file writing: an output appears whole or not at all, and inputs are never overwritten."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Iterator

from flowpose.errors import OutputError
from flowpose.io.stops import check_stopped

WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})
"""Errors of the device an output is written to, not of the run: each becomes one :class:`OutputError` line."""


@contextlib.contextmanager
def device_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Within the block, an ``OSError`` of the device (:data:`WRITE_ERRNOS`: a full disk, a quota, a read-only
    or failing device) is raised as :class:`~flowpose.errors.OutputError` naming ``path``, as is an
    ``OutputError`` of a file written within it (with the file's name); other errors pass."""
    try:
        yield
    except OutputError as e:  # a file within the output (a folder): named after the output, with the file
        if Path(e.path) == Path(path):
            raise
        raise OutputError(path, f"{Path(e.path).name}: {e.reason}") from e
    except OSError as e:
        if e.errno not in WRITE_ERRNOS:
            raise
        raise OutputError(path, os.strerror(e.errno)) from e


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary name keeps the final suffix (``.x.tmp123.npz``) so that libraries which choose a format by
    suffix (numpy, OpenCV) still do. On any exception the temporary file is removed and ``path`` is untouched;
    an error of the device (a full disk, ...) is raised as :class:`~flowpose.errors.OutputError`. A stop signal of
    this run whose exception was lost is raised again before the rename (:func:`flowpose.io.stops.check_stopped`).

    Args:
        path: the final destination.

    Yields:
        The temporary path to write to.

    Example:
        >>> with atomic_path("out.npz") as tmp:  # doctest: +SKIP
        ...     np.savez(tmp, a=1)
    """
    final = Path(path)
    with device_errors(final):
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
            check_stopped()
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
