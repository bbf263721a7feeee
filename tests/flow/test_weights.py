"""Weight registry and resolution: local files, cache, verified atomic downloads, clear offline errors.

No test touches the network: downloads use file:// URLs or a patched ``urlopen``.
"""

from __future__ import annotations

import hashlib
import re
import urllib.error
import zipfile
from pathlib import Path

import pytest

from flowpose.errors import InputError, WeightsUnavailableError
from flowpose.flow import weights as W
from flowpose.flow.weights import (
    FLOW_WEIGHTS,
    WeightSpec,
    default_cache_dir,
    resolve_weights,
)

OFFICIAL = [
    "raft-things",
    "raft-sintel",
    "raft-kitti",
    "raft-chairs",
    "raft-small",
    "gma-things",
    "gma-sintel",
    "gma-kitti",
    "gma-chairs",
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every download fail as if offline, recording the URLs asked for."""
    asked: list[str] = []

    def offline(url: str, timeout: float = 0) -> None:
        asked.append(url)
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(W, "urlopen", offline)
    return asked


def _spec(
    name: str, url: str, sha256: str | None, member: str | None = None, model: str = "raft"
) -> WeightSpec:
    return WeightSpec(name, model, url, sha256, f"{name}.pth", "test", "test", {}, archive_member=member)


def test_registry_lists_official_checkpoints() -> None:
    for name in OFFICIAL:
        spec = FLOW_WEIGHTS[name]
        assert spec.name == name and spec.model in ("raft", "raft-small", "gma")
        assert spec.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", spec.sha256)
        if name.startswith("raft"):
            assert spec.url == W.RAFT_ZIP_URL and spec.url.endswith(".zip")
            assert spec.archive_member == f"models/{name}.pth"
        else:
            assert spec.url.startswith("https://github.com/zacjiang/GMA/") and spec.url.endswith(
                f"{name}.pth"
            )
            assert spec.archive_member is None
    assert FLOW_WEIGHTS["raft-small"].model == "raft-small"
    assert FLOW_WEIGHTS["gma-things"].model == "gma" and FLOW_WEIGHTS["raft-sintel"].model == "raft"
    assert FLOW_WEIGHTS["raft-things"].metrics["sintel_train_final_epe"] == pytest.approx(2.71)
    embedded = FLOW_WEIGHTS["flowpose-raft-small"]
    assert embedded.embedded and embedded.url is None and embedded.model == "raft-small"


def test_local_file_and_random(tmp_path: Path, no_network: list[str]) -> None:
    ckpt = tmp_path / "mine.pth"
    ckpt.write_bytes(b"x")
    assert resolve_weights(str(ckpt), model="gma") == ckpt
    assert resolve_weights("random", model="raft") is None
    assert no_network == []


def test_bad_names(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        resolve_weights(str(tmp_path / "missing.pth"), model="raft")
    with pytest.raises(InputError, match=r"unknown flow weights 'raft-thing'.*raft-things"):
        resolve_weights("raft-thing", model="raft")
    with pytest.raises(InputError, match=r"for the 'gma' network, not 'raft'.*raft-sintel"):
        resolve_weights("gma-things", model="raft")


def test_cache_hit_needs_no_download(tmp_path: Path, no_network: list[str]) -> None:
    cached = tmp_path / "gma-things.pth"
    cached.write_bytes(b"weights")
    assert resolve_weights("gma-things", model="gma", cache_dir=tmp_path) == cached
    assert no_network == []


def test_cache_dir_from_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_network: list[str]
) -> None:
    monkeypatch.setenv("FLOWPOSE_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "weights"
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "raft-things.pth").write_bytes(b"w")
    assert resolve_weights("raft-things", model="raft") == tmp_path / "weights" / "raft-things.pth"


def test_download_file_url_with_hash(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    payload = b"pretend checkpoint" * 1000
    src = tmp_path / "remote.pth"
    src.write_bytes(payload)
    spec = _spec("test-net", src.as_uri(), hashlib.sha256(payload).hexdigest())
    monkeypatch.setitem(FLOW_WEIGHTS, spec.name, spec)
    cache = tmp_path / "cache"
    got = resolve_weights("test-net", model="raft", cache_dir=cache)
    assert got == cache / "test-net.pth" and got.read_bytes() == payload
    assert sorted(p.name for p in cache.iterdir()) == ["test-net.pth"]  # no temporary left behind


def test_hash_mismatch_keeps_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    src = tmp_path / "remote.pth"
    src.write_bytes(b"tampered")
    spec = _spec("test-net", src.as_uri(), "0" * 64)
    monkeypatch.setitem(FLOW_WEIGHTS, spec.name, spec)
    cache = tmp_path / "cache"
    with pytest.raises(WeightsUnavailableError, match=r"SHA-256 mismatch.*expected 0{64}, got [0-9a-f]{64}"):
        resolve_weights("test-net", model="raft", cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_zip_member_extracted_and_archive_reused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    archive = tmp_path / "models.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("models/a.pth", b"AAA")
        zf.writestr("models/b.pth", b"BBB")
    for name in ("a", "b"):
        sha = hashlib.sha256(name.upper().encode() * 3).hexdigest()
        monkeypatch.setitem(
            FLOW_WEIGHTS, name, _spec(name, archive.as_uri(), sha, member=f"models/{name}.pth")
        )
    calls: list[str] = []
    real_urlopen = W.urlopen

    def counting(url: str, timeout: float = 0):  # noqa: ANN202
        calls.append(url)
        return real_urlopen(url, timeout=timeout)

    monkeypatch.setattr(W, "urlopen", counting)
    cache = tmp_path / "cache"
    assert resolve_weights("a", model="raft", cache_dir=cache).read_bytes() == b"AAA"
    assert resolve_weights("b", model="raft", cache_dir=cache).read_bytes() == b"BBB"
    assert len(calls) == 1  # the archive was fetched once


def test_zip_member_hash_mismatch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    archive = tmp_path / "models.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("models/a.pth", b"AAA")
    monkeypatch.setitem(FLOW_WEIGHTS, "a", _spec("a", archive.as_uri(), "f" * 64, member="models/a.pth"))
    with pytest.raises(WeightsUnavailableError, match="SHA-256 mismatch"):
        resolve_weights("a", model="raft", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache" / "a.pth").exists()


def test_offline_error_names_option_and_url(tmp_path: Path, no_network: list[str]) -> None:
    with pytest.raises(WeightsUnavailableError) as info:
        resolve_weights("gma-sintel", model="gma", cache_dir=tmp_path)
    msg = str(info.value)
    assert "--flow-weights PATH" in msg and FLOW_WEIGHTS["gma-sintel"].url in msg and "no network" in msg
    assert no_network == [FLOW_WEIGHTS["gma-sintel"].url]
    with pytest.raises(WeightsUnavailableError, match=r"zip archive\) and extract models/raft-kitti.pth"):
        resolve_weights("raft-kitti", model="raft", cache_dir=tmp_path)


def test_downloads_disabled(tmp_path: Path, no_network: list[str]) -> None:
    with pytest.raises(WeightsUnavailableError, match="downloads are disabled.*--flow-weights PATH"):
        resolve_weights("raft-things", model="raft", cache_dir=tmp_path, allow_download=False)
    assert no_network == []


def test_missing_embedded_weights(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(W, "EMBEDDED_DIR", tmp_path)
    with pytest.raises(WeightsUnavailableError, match="embedded weights 'flowpose-raft-small' are not in"):
        resolve_weights("flowpose-raft-small", model="raft-small")
