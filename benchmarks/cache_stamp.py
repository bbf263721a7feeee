"""Which code made a cached benchmark file, so that a cache made by other code is rebuilt, not reused.

The real-set caches (MediaPipe's detections, the people found in each view, the tracked estimates) take minutes
to make and live in ``results/``, which git ignores. Reused by existence alone, one made by an earlier state of
the code outlived six sessions of changes (benchmarks/RESULTS.md, thirteenth session). Each cache now has a
sidecar ``<cache>.source`` holding a digest of what made it: every ``.py`` file of the ``flowpose`` package, the
script that wrote it, and any data it was chosen by (the tracked estimates: the reference person). A cache whose
digest differs from the one of the code and data now, or that has none, is stale: the caller makes it again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "flowpose"


def source_digest(writer: Path, data: bytes = b"") -> str:
    """SHA-256 (hex) of the package's ``.py`` files (paths in the repository and bytes, in sorted order), of
    ``writer`` (a file in the repository) and of ``data``."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")) + [Path(writer).resolve()]:
        h.update(str(path.relative_to(PACKAGE.parent)).encode())
        h.update(path.read_bytes())
    h.update(data)
    return h.hexdigest()


def _sidecar(cache: Path) -> Path:
    return cache.with_name(cache.name + ".source")


def _matches(cache: Path, writer: Path, data: bytes = b"") -> bool:
    side = _sidecar(cache)
    return cache.exists() and side.exists() and side.read_text().strip() == source_digest(writer, data)


def is_fresh(cache: Path, writer: Path, data: bytes = b"") -> bool:
    """True when ``cache`` exists and was stamped (:func:`stamp`) by the code as it is now, from the same
    ``data``; says so when a cache exists but is stale."""
    if not cache.exists():
        return False
    if _matches(cache, writer, data):
        return True
    print(f"{cache}: made by other code than this (no {_sidecar(cache).name} or another digest); making it again",
          flush=True)
    return False


BUILDERS = {
    "pseudo_gt.npz": "build_pose2sim_devset.py",
    "people_gt.npz": "build_pose2sim_people.py",
    "people_gt.heldout.npz": "build_pose2sim_heldout.py",
}
"""The real set's pseudo ground truths and the scripts that write them (in this order)."""


def fresh_reference(path: Path) -> Path:
    """``path``, a pseudo ground truth of :data:`BUILDERS`, once checked to be made by the code as it is now.

    The references are read by every real-set benchmark but written only by their builders, so a reader cannot
    remake them itself; a stale one would score every run against what earlier code triangulated (the
    thirteenth session's figures were, against the people of a tracker since changed: RESULTS.md, fourteenth
    session).

    Raises:
        SystemExit: naming the file and the commands that make it again.
    """
    if _matches(path, Path(__file__).parent / BUILDERS[path.name]):
        return path
    state = "made by other code than this" if path.exists() else "missing"
    run = " && ".join(f"python benchmarks/{b}" for b in BUILDERS.values())
    raise SystemExit(f"{path}: {state}; make the real set again first: {run}")


def stamp(cache: Path, writer: Path, data: bytes = b"") -> None:
    """Record that ``cache`` was just made by the code as it is now (``writer``: the script that wrote it) from
    ``data``."""
    _sidecar(cache).write_text(source_digest(writer, data) + "\n")
