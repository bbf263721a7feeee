"""Flow-network weights: where the official checkpoints live, and how a name becomes a local file.

``resolve_weights`` accepts a local file, a registry name (downloaded once into the cache, hash-checked when
the hash is known, written atomically) or ``"random"``. Nothing here builds a network or reads a checkpoint's
contents; that is :func:`flowpose.flow.checkpoint.load_flow_checkpoint`'s job.

Cache: ``$FLOWPOSE_CACHE/weights`` if the variable is set, else ``~/.cache/flowpose/weights``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

from flowpose.errors import InputError, WeightsUnavailableError, unknown_name_error
from flowpose.io.atomic import atomic_path

log = logging.getLogger(__name__)

EMBEDDED_DIR = Path(__file__).resolve().parents[1] / "weights"
"""Weights shipped inside the package (``flowpose/weights``)."""

RANDOM = "random"
"""The weights name that means random initialisation."""


@dataclass(frozen=True)
class WeightSpec:
    """One checkpoint of a flow network, with where to get it and what it was measured to do.

    Attributes:
        name: registry name, e.g. ``"raft-things"``.
        model: architecture it loads into: ``"raft"``, ``"raft-small"`` or ``"gma"``.
        url: where to download it; ``None`` for weights embedded in the package.
        sha256: hex digest of the checkpoint file itself (not of a zip holding it); ``None`` where no trusted
            digest is known, in which case the download is not verified.
        filename: file name in the cache (or in ``flowpose/weights`` for embedded weights).
        trained_on: training schedule, in the papers' notation (C = FlyingChairs, T = FlyingThings3D,
            S = Sintel, K = KITTI-2015, H = HD1K).
        source: who published it, and where.
        metrics: published numbers (EPE in px, F1-all in %), keyed ``<dataset>_<split>_<metric>``.
        archive_member: when ``url`` is a zip archive, the path of this checkpoint inside it.
        embedded: True for weights shipped in the package.
    """

    name: str
    model: str
    url: str | None
    sha256: str | None
    filename: str
    trained_on: str
    source: str
    metrics: dict[str, float] = field(default_factory=dict)
    archive_member: str | None = None
    embedded: bool = False


# The official RAFT release is ONE ZIP FILE (models.zip, holding
# models/raft-{things,sintel,kitti,chairs,small}.pth), fetched by princeton-vl/RAFT's download_models.sh.
# Older revisions of that script used other Dropbox links; this is the one in the current README's script.
RAFT_ZIP_URL = "https://dl.dropboxusercontent.com/s/4j4z58wuv8o0mfz/models.zip"
# GMA's checkpoints are plain files in the repository's checkpoints/ folder, pinned here to commit 2f1fd29
# (the revision the compatibility fixtures in shared/fixtures/flow_compat were produced with).
GMA_BASE_URL = "https://github.com/zacjiang/GMA/raw/2f1fd29468a86a354d44dd25d107930b3f175043/checkpoints/"

_RAFT_SOURCE = "Teed & Deng, RAFT, ECCV 2020; github.com/princeton-vl/RAFT (download_models.sh, models.zip)"
_GMA_SOURCE = "Jiang et al., GMA, ICCV 2021; github.com/zacjiang/GMA (checkpoints/)"

# Digest of raft-things.pth as recorded independently by several public projects that use the same file
# (e.g. ProPainter's release of it); no digest is published by the authors. The other members' digests are
# unknown to us, so they are left unverified rather than guessed.
_RAFT_THINGS_SHA256 = "fcfa4125d6418f4de95d84aec20a3c5f4e205101715a79f193243c186ac9a7e1"


def _raft(name: str, trained_on: str, metrics: dict[str, float], sha256: str | None = None) -> WeightSpec:
    model = "raft-small" if name == "raft-small" else "raft"
    return WeightSpec(
        name,
        model,
        RAFT_ZIP_URL,
        sha256,
        f"{name}.pth",
        trained_on,
        _RAFT_SOURCE,
        metrics,
        archive_member=f"models/{name}.pth",
    )


def _gma(name: str, trained_on: str, metrics: dict[str, float]) -> WeightSpec:
    return WeightSpec(
        name, "gma", GMA_BASE_URL + f"{name}.pth", None, f"{name}.pth", trained_on, _GMA_SOURCE, metrics
    )


# Metrics as published: RAFT paper Table 1 (Sintel/KITTI train after C+T; test after fine-tuning, RAFT's
# Sintel test numbers with warm start), GMA paper Table 1 likewise. Chairs-only checkpoints have no published
# cross-dataset numbers, so their dicts are empty.
FLOW_WEIGHTS: dict[str, WeightSpec] = {
    spec.name: spec
    for spec in (
        _raft(
            "raft-things",
            "C+T",
            {
                "sintel_train_clean_epe": 1.43,
                "sintel_train_final_epe": 2.71,
                "kitti15_train_epe": 5.04,
                "kitti15_train_f1_all": 17.4,
            },
            sha256=_RAFT_THINGS_SHA256,
        ),
        _raft("raft-sintel", "C+T+S+K+H", {"sintel_test_clean_epe": 1.61, "sintel_test_final_epe": 2.86}),
        _raft("raft-kitti", "C+T+S+K+H then K", {"kitti15_test_f1_all": 5.10}),
        _raft("raft-chairs", "C", {}),
        _raft(
            "raft-small",
            "C+T",
            {
                "sintel_train_clean_epe": 2.21,
                "sintel_train_final_epe": 3.35,
                "kitti15_train_epe": 7.51,
                "kitti15_train_f1_all": 26.9,
            },
        ),
        _gma(
            "gma-things",
            "C+T",
            {
                "sintel_train_clean_epe": 1.30,
                "sintel_train_final_epe": 2.74,
                "kitti15_train_epe": 4.69,
                "kitti15_train_f1_all": 17.1,
            },
        ),
        _gma("gma-sintel", "C+T+S+K+H", {"sintel_test_clean_epe": 1.39, "sintel_test_final_epe": 2.47}),
        _gma("gma-kitti", "C+T+S+K+H then K", {"kitti15_test_f1_all": 5.15}),
        _gma("gma-chairs", "C", {}),
        WeightSpec(
            "flowpose-raft-small",
            "raft-small",
            None,
            None,
            "raft_small_flowpose.pt",
            "flowpose's own training (see benchmarks/train_flow.py)",
            "flowpose, shipped in the package",
            embedded=True,
        ),
    )
}
"""Every known checkpoint by name. ``"random"`` (random initialisation) is accepted besides these."""


def default_cache_dir() -> Path:
    """Where downloaded weights are kept: ``$FLOWPOSE_CACHE/weights`` or ``~/.cache/flowpose/weights``."""
    root = os.environ.get("FLOWPOSE_CACHE")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "flowpose") / "weights"


def installed_or_downloadable(name: str) -> bool:
    """Whether the :data:`FLOW_WEIGHTS` entry ``name`` can be used here: an embedded file must be present."""
    spec = FLOW_WEIGHTS[name]
    return not spec.embedded or (EMBEDDED_DIR / spec.filename).is_file()


def resolve_weights(
    spec_or_path: str, *, model: str, cache_dir: Path | None = None, allow_download: bool = True
) -> Path | None:
    """Turn a weights option into a local checkpoint file.

    Args:
        spec_or_path: an existing file path (returned as given); a :data:`FLOW_WEIGHTS` name (found in the
            cache, or downloaded into it); or ``"random"`` (random initialisation). A backend's default is
            :meth:`flowpose.flow.registry.FlowBackend.default_weight_name`.
        model: the architecture the weights are for; a registry entry for another one is refused.
        cache_dir: where downloads are kept (default :func:`default_cache_dir`).
        allow_download: if False, a name missing from the cache raises instead of downloading.

    Returns:
        The checkpoint path, or ``None`` for ``"random"``.

    Raises:
        InputError: unknown name, missing file, or weights made for another architecture.
        WeightsUnavailableError: the weights are not local and cannot be downloaded (offline, refused, hash
            mismatch); the message names the URL to fetch by hand and the ``--flow-weights PATH`` option.

    Example:
        >>> resolve_weights("random", model="raft") is None
        True
    """
    name = str(spec_or_path)
    if name == RANDOM:
        return None
    if Path(name).expanduser().is_file():
        return Path(name).expanduser()
    if name not in FLOW_WEIGHTS:
        if os.sep in name or "/" in name or Path(name).suffix:
            raise InputError(
                f"flow weights file {name} does not exist (expected a checkpoint file, "
                f"a registry name from {sorted(FLOW_WEIGHTS)} or {RANDOM!r})"
            )
        raise unknown_name_error("flow weights", name, [*FLOW_WEIGHTS, RANDOM])
    spec = FLOW_WEIGHTS[name]
    if spec.model != model:
        raise InputError(
            f"flow weights {name!r} are for the {spec.model!r} network, not {model!r}; "
            f"choose from {sorted(n for n, s in FLOW_WEIGHTS.items() if s.model == model)}"
        )
    if spec.embedded:
        path = EMBEDDED_DIR / spec.filename
        if not path.is_file():
            raise WeightsUnavailableError(
                f"the embedded weights {name!r} are not in this installation "
                f"(expected {path}); give a checkpoint path (--flow-weights PATH) or another name"
            )
        return path
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = cache / spec.filename
    if target.is_file():
        return target
    if not allow_download:
        raise WeightsUnavailableError(_by_hand(spec, target, "downloads are disabled"))
    return _download_spec(spec, target)


def _by_hand(spec: WeightSpec, target: Path, why: str) -> str:
    """The message telling the user how to get the weights without us."""
    fetch = f"download {spec.url}"
    if spec.archive_member:
        fetch += f" (a zip archive) and extract {spec.archive_member} from it"
    return (
        f"flow weights {spec.name!r} are not available: {why}. To use them, {fetch}, then give its path "
        f"as the weights (--flow-weights PATH on the command line), or place the file at {target}."
    )


def _download_spec(spec: WeightSpec, target: Path) -> Path:
    """Download ``spec`` into ``target`` (through its zip archive when it has one)."""
    if spec.url is None:
        raise WeightsUnavailableError(_by_hand(spec, target, "it has no download URL"))
    try:
        if spec.archive_member is None:
            download_file(spec.url, target, sha256=spec.sha256)
        else:
            # The whole archive is kept beside the weights: its other checkpoints need no new download.
            archive = target.parent / "archives" / Path(urlparse(spec.url).path).name
            if not archive.is_file():
                download_file(spec.url, archive, sha256=None)
            extract_member(archive, spec.archive_member, target, sha256=spec.sha256)
    except (OSError, zipfile.BadZipFile, WeightsUnavailableError) as err:
        # OSError covers urllib's URLError/HTTPError, timeouts and disk errors.
        raise WeightsUnavailableError(_by_hand(spec, target, str(err))) from err
    return target


def download_file(url: str, dest: Path, *, sha256: str | None, timeout: float = 60.0) -> Path:
    """Stream ``url`` to ``dest`` atomically, checking its SHA-256 when one is given.

    Args:
        url: any URL ``urllib`` opens (``https://``, ``file://``).
        dest: final path; it appears only once the download is complete and verified.
        sha256: expected hex digest, or None to skip the check.
        timeout: seconds to wait for the server.

    Returns:
        ``dest``.

    Raises:
        OSError: network or disk failure (``urllib.error.URLError`` is one).
        WeightsUnavailableError: the digest does not match.
    """
    log.info("downloading %s to %s", url, dest)
    digest = hashlib.sha256()
    with atomic_path(dest) as tmp, urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
        out.close()
        _check_digest(digest.hexdigest(), sha256, url)
    return dest


def extract_member(archive: Path, member: str, dest: Path, *, sha256: str | None) -> Path:
    """Extract one file of a zip archive to ``dest`` atomically, checking its SHA-256 when given.

    The member is looked up by its full path first, then by its base name (archives repacked without the
    top folder still work).

    Args:
        archive: the zip file.
        member: path of the file inside the archive.
        dest: final path.
        sha256: expected hex digest of the extracted file, or None.

    Returns:
        ``dest``.

    Raises:
        WeightsUnavailableError: the member is missing or its digest does not match.
        zipfile.BadZipFile: the archive is corrupt.
    """
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        if member not in names:
            matches = [n for n in names if Path(n).name == Path(member).name]
            if not matches:
                raise WeightsUnavailableError(f"{archive} has no member {member!r} (it holds {names[:10]})")
            member = matches[0]
        digest = hashlib.sha256()
        with atomic_path(dest) as tmp, zf.open(member) as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)
            out.close()
            with open(tmp, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            _check_digest(digest.hexdigest(), sha256, f"{archive}:{member}")
    return dest


def _check_digest(got: str, expected: str | None, what: str) -> None:
    if expected is not None and got != expected.lower():
        raise WeightsUnavailableError(
            f"SHA-256 mismatch for {what}: expected {expected}, got {got} "
            "(corrupt or changed file; it was not kept)"
        )
