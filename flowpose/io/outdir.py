"""Output folders that flowpose owns: checked before any work, written whole, never over a user's files.

The contract (README, "Your data"):

- An output folder is built in a temporary folder beside its destination and appears there by one atomic
  rename, only when everything in it was written. A run that fails, or is stopped (SIGINT, SIGTERM, SIGHUP),
  removes its temporary folder and leaves nothing.
- Every folder flowpose writes holds a manifest, :data:`MANIFEST`, listing the files it wrote. ``overwrite``
  replaces only such a folder, and only while it holds nothing but the files its manifest lists.
- Never an output: a symbolic link, the current folder, the root, the home folder, an ancestor of either, an
  input of the run or a folder that holds one.
- The rename never replaces what appeared at the destination while the run computed: that run fails with one
  line and removes only its own temporary folder.
- When a folder is replaced, the old one is first moved aside by a rename and then emptied of the files its
  manifest lists, and nothing else; a file that appeared in it meanwhile is left where it is, with a warning.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from flowpose.errors import InputError
from flowpose.io.atomic import device_errors
from flowpose.io.stops import check_stopped

MANIFEST = ".flowpose-manifest.json"
"""Name of the manifest file in every folder flowpose writes: JSON ``{"written_by": "flowpose",
"files": [names]}``."""

_TEMP_MARK = ".flowpose-tmp-"
_OLD_MARK = ".flowpose-old-"


@dataclass(frozen=True)
class OutputFolder:
    """An output destination that passed :func:`check_output_folder`.

    Attributes:
        path: the destination, absolute (its parent resolved, its own name kept).
        replaces: True when an existing flowpose folder will be replaced (``overwrite``).
    """

    path: Path
    replaces: bool


def _absolute(path: Path) -> Path:
    """``path`` absolute, with its parent's links resolved and its own name kept (``.`` becomes the cwd)."""
    p = Path(os.path.abspath(path))
    return p if p == Path(p.anchor) else p.parent.resolve() / p.name


def _is_within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def read_manifest(folder: Path) -> list[str] | None:
    """The files a flowpose folder's manifest lists, or None when ``folder`` holds no valid manifest."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    files = doc.get("files") if isinstance(doc, dict) and doc.get("written_by") == "flowpose" else None
    if not isinstance(files, list) or not all(isinstance(f, str) and "/" not in f for f in files):
        return None
    return files


def _foreign_entries(folder: Path) -> list[str] | None:
    """Entries of ``folder`` that its manifest does not list; None when it has no manifest."""
    listed = read_manifest(folder)
    if listed is None:
        return None
    return sorted(set(os.listdir(folder)) - set(listed) - {MANIFEST})


def _check_parent(given: Path, parent: Path) -> None:
    """The output's parent exists, is a folder and can be written: create and remove a temporary folder in
    it, the one test of writability that also holds for root, read-only mounts and pseudo file systems such as
    /proc."""
    if not parent.exists():
        raise InputError(f"{given}: parent folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise InputError(f"{given}: {parent} is a file, not a folder; choose another output")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=_TEMP_MARK, dir=parent))
    except OSError as e:
        raise InputError(f"{given}: cannot write in {parent} ({e.strerror or e})") from None


def check_output_folder(
    out: str | os.PathLike[str], *, overwrite: bool, inputs: Iterable[str | os.PathLike[str]] = ()
) -> OutputFolder:
    """Check, before any computation, that ``out`` may become an output folder.

    Args:
        out: the destination folder.
        overwrite: allow replacing an existing folder that flowpose wrote (one with a manifest and nothing
            else in it).
        inputs: the files and folders this run reads; none of them may lie in ``out`` or be ``out``.

    Returns:
        The checked destination.

    Raises:
        InputError: one line naming ``out`` and the problem: a symbolic link, a protected folder (root, home,
            the current folder or an ancestor), an input or a folder holding one, an existing file, an
            existing folder without ``overwrite`` or not written by flowpose, a missing, non-folder or
            unwritable parent.
        Stopped: a stop signal of this run whose exception was lost (:func:`flowpose.io.stops.check_stopped`).
    """
    check_stopped()  # a stop lost while the command imported its modules ends it here, before any work
    given = Path(out)
    if given.is_symlink():
        raise InputError(f"{given}: output is a symbolic link; flowpose writes only to a real path")
    path = _absolute(given)
    home = Path.home().resolve()
    cwd = Path.cwd().resolve()
    if path == Path(path.anchor) or _is_within(home, path) or _is_within(cwd, path):
        raise InputError(
            f"{given}: refusing to use the root, the home folder, the current folder or a folder that holds "
            "one of them as the output; choose a new folder"
        )
    for item in inputs:
        inp = Path(os.path.abspath(item))
        for candidate in {inp, inp.resolve()}:
            if _is_within(candidate, path):
                raise InputError(f"{given}: output would replace the input {item}; choose another folder")
    _check_parent(given, path.parent)
    if not path.exists():
        return OutputFolder(path, replaces=False)
    if not path.is_dir():
        raise InputError(f"{given}: output is a file, not a folder; choose another output")
    if not overwrite:
        raise InputError(f"{given}: output is an existing folder; choose another output or allow overwriting (--overwrite)")
    foreign = _foreign_entries(path)
    if foreign is None:
        raise InputError(
            f"{given}: overwriting replaces only a folder flowpose wrote, and flowpose did not write this one "
            f"(no {MANIFEST}); choose a new folder"
        )
    if foreign:
        raise InputError(
            f"{given}: overwriting refused: the folder holds files flowpose did not write ({', '.join(foreign[:3])})"
        )
    return OutputFolder(path, replaces=True)


# --- atomic rename without replacing -------------------------------------------------------------------


_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


def _renameat2() -> Callable[..., int] | None:
    name = ctypes.util.find_library("c")
    try:
        fn = ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _renameat2()


def rename_no_replace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst`` atomically, failing with FileExistsError if ``dst`` exists.

    Uses Linux's ``renameat2(RENAME_NOREPLACE)``. Where that is missing (another OS, an old kernel, a file
    system without it) it falls back to a check followed by ``os.rename``, which has a short race window.

    Raises:
        FileExistsError: ``dst`` exists.
    """
    if _RENAMEAT2 is not None:
        if _RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err == errno.EEXIST:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
        if err not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(err, os.strerror(err), str(src))
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


# --- writing -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _temporary_folder(dest: Path) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}{_TEMP_MARK}", dir=dest.parent))
    try:
        # mkdtemp makes the folder private (0700); give the output the permissions of any folder the user makes.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def remove_temporary_folders(dest: Path) -> list[Path]:
    """Remove the temporary folders begun for ``dest`` and left behind (``.<name>.flowpose-tmp-*`` beside it): a
    process killed before its own cleanup could run leaves one (a Ray task whose interrupt Ray lost, ended by force
    after a stop: :func:`flowpose.app.ray_tasks.run_on_ray`). Only folders of that name, not links, are removed.

    Args:
        dest: an output folder's destination.

    Returns:
        The folders removed.
    """
    gone = []
    for tmp in Path(dest).parent.glob(f".{Path(dest).name}{_TEMP_MARK}*"):
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
            gone.append(tmp)
    return gone


def _write_manifest(folder: Path) -> list[str]:
    names = sorted(p.name for p in folder.iterdir() if p.name != MANIFEST)
    doc = {"written_by": "flowpose", "files": names}
    (folder / MANIFEST).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return names


def _remove_listed(folder: Path, names: Sequence[str]) -> None:
    """Remove the listed files and the manifest from a folder moved aside, then the folder if it is empty."""
    for name in [*names, MANIFEST]:
        with contextlib.suppress(FileNotFoundError):
            target = folder / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
    try:
        folder.rmdir()
    except OSError:
        left = sorted(os.listdir(folder))
        warnings.warn(
            f"{folder}: kept, it holds files flowpose did not write ({', '.join(left[:3])}); "
            "the previous output was otherwise removed",
            stacklevel=3,
        )


def write_output_folder(
    out: str | os.PathLike[str],
    fill: Callable[[Path], None],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Build an output folder with ``fill`` and move it into place atomically (see the module docstring).

    Args:
        out: destination folder.
        fill: writes the folder's files into the temporary folder it is given (flat: files, no sub-folders).
        overwrite: replace an existing folder that flowpose wrote.
        inputs: the files this run reads (never replaced).

    Returns:
        The destination folder.

    Raises:
        InputError: for a destination refused by :func:`check_output_folder` (checked again now), or one that
            appeared while the folder was being written.
        OutputError: for an error of the device (a full disk, ...); the temporary folder is removed.
        Stopped: a stop signal of this run, also one whose exception was lost (checked before the rename); the
            temporary folder is removed.
    """
    inputs = list(inputs)
    dest = check_output_folder(out, overwrite=overwrite, inputs=inputs)
    with device_errors(out), _temporary_folder(dest.path) as tmp:
        fill(tmp)
        _write_manifest(tmp)
        appeared = InputError(
            f"{out}: appeared while this run was writing (another run?); it was left as it is and this run's "
            "output was discarded"
        )
        first = dest
        try:
            # It may have changed meanwhile; the check also raises a stop whose exception was lost.
            dest = check_output_folder(out, overwrite=overwrite, inputs=inputs)
        except InputError:
            if not first.replaces and os.path.lexists(first.path):
                raise appeared from None
            raise
        if not dest.replaces:
            try:
                rename_no_replace(tmp, dest.path)
            except FileExistsError:
                raise appeared from None
            return dest.path
        listed = read_manifest(dest.path) or []
        aside = Path(tempfile.mkdtemp(prefix=f".{dest.path.name}{_OLD_MARK}", dir=dest.path.parent))
        aside.rmdir()  # a free unique name, taken back by the rename below
        try:
            rename_no_replace(dest.path, aside)
        except FileNotFoundError:
            aside = None  # removed meanwhile: nothing to replace
        try:
            rename_no_replace(tmp, dest.path)
        except BaseException as err:
            if aside is not None:  # put the previous output back
                with contextlib.suppress(OSError):
                    rename_no_replace(aside, dest.path)
            if isinstance(err, FileExistsError):
                raise appeared from None
            raise
        if aside is not None:
            _remove_listed(aside, listed)
    return dest.path


def check_output_file(
    out: str | os.PathLike[str],
    *,
    overwrite: bool,
    is_ours: Callable[[Path], bool],
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Check, before any computation, that a single output file may be written.

    Args:
        out: the file to write.
        overwrite: allow replacing an existing file that flowpose wrote.
        is_ours: tells whether an existing file was written by flowpose (e.g. a pose file with its mark).
        inputs: files this run reads; ``out`` may not be one of them.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        InputError: for a symbolic link, an input, a folder, a missing, non-folder or unwritable parent, an
            existing file without ``overwrite`` or one that flowpose did not write.
        Stopped: as :func:`check_output_folder`.
    """
    check_stopped()  # a stop lost while the command imported its modules ends it here, before any work
    given = Path(out)
    if given.is_symlink():
        raise InputError(f"{given}: output is a symbolic link; flowpose writes only to a real path")
    path = _absolute(given)
    for item in inputs:
        if path in {Path(os.path.abspath(item)), Path(item).resolve()}:
            raise InputError(f"{given}: output would replace the input {item}; choose another file")
    _check_parent(given, path.parent)
    if path.exists():
        if path.is_dir():
            raise InputError(f"{given}: output is a folder, expected a file path")
        if not overwrite:
            raise InputError(f"{given}: exists; choose another output or allow overwriting (--overwrite)")
        if not is_ours(path):
            raise InputError(
                f"{given}: overwriting replaces only a pose file flowpose wrote; this one it did not: "
                "choose another output"
            )
    return given
