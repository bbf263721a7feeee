"""BVH motion capture files: parsing and forward kinematics.

A BVH file has a ``HIERARCHY`` section (a tree of joints, each with an ``OFFSET`` from its parent and a list
of ``CHANNELS``; leaves end in an ``End Site`` with only an offset) and a ``MOTION`` section (``Frames:``,
``Frame Time:`` and one line of channel values per frame, in hierarchy order).

Conventions (Biovision BVH, as read by Blender and MotionBuilder):

- Rotation channels are Euler angles in degrees, composed in the order they are listed and intrinsically:
  ``Zrotation Yrotation Xrotation`` means ``R = Rz(z) @ Ry(y) @ Rx(x)`` acting on column vectors in the
  joint's frame. Any order is accepted, and it may differ from joint to joint.
- Position channels (``Xposition`` ...) give the joint's translation in its parent's frame and *replace* the
  ``OFFSET`` on the axes they name. Files converted from FBX carry 6 channels on inner joints whose position
  values equal the offset, which is what this reading expects.
- ``End Site`` blocks become joints of their own with no channels, named ``<parent>_end`` (suffixed with a
  number if that name is taken), so that the tips (head top, toe tips) can be used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError

_ROTATIONS = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
_POSITIONS = {"Xposition": 0, "Yposition": 1, "Zposition": 2}


@dataclass(frozen=True)
class BvhClip:
    """The content of one BVH file.

    Attributes:
        path: the file it was read from (for messages).
        names: (J,) joint names in file order; End Sites included as ``<parent>_end``.
        parents: (J,) parent index of each joint, ``-1`` for the root; a parent always precedes its child.
        offsets: (J, 3) float64 rest offset of each joint from its parent, in file units.
        channels: (J,) channel names of each joint (0 for End Sites, usually 3 or 6 otherwise).
        channel_start: (J,) column of each joint's first channel in ``motion``.
        frame_time: seconds between frames.
        motion: (T, C) float64 channel values (degrees, file units), C = total number of channels.
    """

    path: str
    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    channel_start: tuple[int, ...]
    frame_time: float
    motion: np.ndarray

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.motion.shape[0])

    @property
    def fps(self) -> float:
        """Frames per second, ``1 / frame_time``."""
        return 1.0 / self.frame_time

    def index(self, name: str) -> int:
        """Index of a joint by name.

        Raises:
            InputError: if the file has no joint of that name.
        """
        try:
            return self.names.index(name)
        except ValueError:
            raise InputError(f"{self.path}: no joint named {name!r}; joints are {list(self.names)}") from None


class _Tokens:
    """Whitespace tokens of the hierarchy section, each with its 1-based line number."""

    def __init__(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.items = [(tok, n + 1) for n, line in enumerate(lines) for tok in line.split()]
        self.pos = 0

    def error(self, problem: str) -> InputError:
        line = self.items[min(self.pos, len(self.items) - 1)][1] if self.items else 1
        return InputError(f"{self.path}: line {line}: {problem}")

    def next(self, what: str) -> str:
        if self.pos >= len(self.items):
            raise self.error(f"unexpected end of file, expected {what}")
        tok = self.items[self.pos][0]
        self.pos += 1
        return tok

    def expect(self, word: str) -> None:
        tok = self.next(repr(word))
        if tok != word:
            self.pos -= 1
            raise self.error(f"expected {word!r}, got {tok!r}")

    def floats(self, count: int, what: str) -> list[float]:
        out = []
        for _ in range(count):
            tok = self.next(what)
            try:
                out.append(float(tok))
            except ValueError:
                self.pos -= 1
                raise self.error(f"expected a number in {what}, got {tok!r}") from None
        return out


def _parse_hierarchy(
    tokens: _Tokens,
) -> tuple[list[str], list[int], list[list[float]], list[tuple[str, ...]]]:
    """Read ``ROOT ... }`` into flat lists (names, parents, offsets, channels), parents before children."""
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []
    tokens.expect("HIERARCHY")
    tokens.expect("ROOT")
    stack: list[int] = []  # joints whose "}" is still to come
    parent = -1
    while True:
        name = tokens.next("a joint name")
        if name in ("{", "}"):
            tokens.pos -= 1
            raise tokens.error(f"expected a joint name, got {name!r}")
        tokens.expect("{")
        tokens.expect("OFFSET")
        offsets.append(tokens.floats(3, f"the OFFSET of {name}"))
        tokens.expect("CHANNELS")
        count_tok = tokens.next("a channel count")
        if not count_tok.isdigit():
            tokens.pos -= 1
            raise tokens.error(f"expected a channel count for {name}, got {count_tok!r}")
        chans = tuple(tokens.next(f"{count_tok} channel names") for _ in range(int(count_tok)))
        bad = [c for c in chans if c not in _ROTATIONS and c not in _POSITIONS]
        if bad:
            raise tokens.error(f"unknown channel {bad[0]!r} of {name}; expected X/Y/Z rotation or position")
        names.append(name)
        parents.append(parent)
        channels.append(chans)
        me = len(names) - 1
        stack.append(me)
        parent = me
        # Children of `me`: JOINT blocks (descend), End Site blocks (leaves), or "}" (ascend).
        while True:
            tok = tokens.next("JOINT, End Site or '}'")
            if tok == "JOINT":
                break
            if tok == "End":
                tokens.expect("Site")
                tokens.expect("{")
                tokens.expect("OFFSET")
                end_offset = tokens.floats(3, f"the End Site OFFSET of {names[parent]}")
                tokens.expect("}")
                end_name = f"{names[parent]}_end"
                suffix = 1
                while end_name in names:
                    suffix += 1
                    end_name = f"{names[parent]}_end{suffix}"
                names.append(end_name)
                parents.append(parent)
                offsets.append(end_offset)
                channels.append(())
            elif tok == "}":
                stack.pop()
                if not stack:
                    return names, parents, offsets, channels
                parent = stack[-1]
            else:
                tokens.pos -= 1
                raise tokens.error(f"expected JOINT, End Site or '}}' inside {names[parent]}, got {tok!r}")


def _header_value(path: str, line: str, lineno: int, key: str) -> float:
    if not line.strip().startswith(key):
        raise InputError(f"{path}: line {lineno}: expected {key!r}, got {line.strip()[:40]!r}")
    try:
        return float(line.split(":", 1)[1])
    except ValueError:
        problem = f"{key} must be followed by a number, got {line.strip()!r}"
        raise InputError(f"{path}: line {lineno}: {problem}") from None


def read_bvh(path: str | Path) -> BvhClip:
    """Read a BVH file.

    Args:
        path: a ``.bvh`` file.

    Returns:
        The parsed :class:`BvhClip`.

    Raises:
        InputError: if the file is missing or malformed; the message names the file and the line.

    Example:
        >>> clip = read_bvh("walk.bvh")  # doctest: +SKIP
        >>> forward_kinematics(clip).shape  # doctest: +SKIP
        (317, 52, 3)
    """
    path = str(path)
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the BVH file ({exc})") from None
    try:
        motion_at = next(i for i, line in enumerate(lines) if line.strip() == "MOTION")
    except StopIteration:
        raise InputError(f"{path}: no MOTION section; expected a BVH file with HIERARCHY, MOTION") from None
    tokens = _Tokens(path, lines[:motion_at])
    names, parents, offsets, channels = _parse_hierarchy(tokens)
    if tokens.pos != len(tokens.items):
        extra = tokens.items[tokens.pos][0]
        raise tokens.error(f"unexpected {extra!r} after the hierarchy (one ROOT expected)")
    if len(lines) < motion_at + 3:
        raise InputError(f"{path}: line {len(lines)}: MOTION needs 'Frames:' and 'Frame Time:' lines")
    num_frames = _header_value(path, lines[motion_at + 1], motion_at + 2, "Frames")
    frame_time = _header_value(path, lines[motion_at + 2], motion_at + 3, "Frame Time")
    if num_frames < 1 or num_frames != int(num_frames):
        raise InputError(f"{path}: line {motion_at + 2}: Frames must be a positive integer, got {num_frames}")
    if not frame_time > 0:
        raise InputError(f"{path}: line {motion_at + 3}: Frame Time must be positive, got {frame_time}")
    num_channels = sum(len(c) for c in channels)
    rows = [(n, line) for n, line in enumerate(lines[motion_at + 3 :], start=motion_at + 4) if line.strip()]
    if len(rows) < num_frames:
        raise InputError(f"{path}: Frames says {int(num_frames)} but only {len(rows)} frame lines follow")
    rows = rows[: int(num_frames)]
    for n, line in rows:
        if len(line.split()) != num_channels:
            got = len(line.split())
            raise InputError(f"{path}: line {n}: expected {num_channels} channel values, got {got}")
    try:
        motion = np.array(" ".join(line for _, line in rows).split(), dtype=np.float64)
    except ValueError as exc:
        raise InputError(f"{path}: non-numeric value in the MOTION section ({exc})") from None
    motion = motion.reshape(int(num_frames), num_channels)
    if not np.isfinite(motion).all():
        bad = rows[int(np.argwhere(~np.isfinite(motion))[0, 0])][0]
        raise InputError(f"{path}: line {bad}: NaN or infinite channel value")
    starts = np.concatenate([[0], np.cumsum([len(c) for c in channels])[:-1]]).astype(int)
    return BvhClip(
        path=path,
        names=tuple(names),
        parents=tuple(parents),
        offsets=np.asarray(offsets, dtype=np.float64),
        channels=tuple(channels),
        channel_start=tuple(int(s) for s in starts),
        frame_time=float(frame_time),
        motion=motion,
    )


def _local_transform(clip: BvhClip, j: int) -> tuple[Rotation | None, np.ndarray]:
    """Joint j's rotation (T frames, or None for identity) and translation (T, 3) in its parent's frame."""
    T = clip.num_frames
    values = clip.motion[:, clip.channel_start[j] : clip.channel_start[j] + len(clip.channels[j])]
    translation = np.broadcast_to(clip.offsets[j], (T, 3)).copy()
    order, angle_cols = "", []
    for col, name in enumerate(clip.channels[j]):
        if name in _POSITIONS:
            translation[:, _POSITIONS[name]] = values[:, col]  # position channels replace the OFFSET
        else:
            order += _ROTATIONS[name]
            angle_cols.append(col)
    if not order:
        return None, translation
    # Upper-case axes = intrinsic rotations in scipy: "ZYX" gives Rz @ Ry @ Rx, the BVH composition.
    return Rotation.from_euler(order, values[:, angle_cols], degrees=True), translation


def forward_kinematics(clip: BvhClip) -> np.ndarray:
    """Global joint positions of every frame.

    ``p_j = p_parent + R_parent t_j`` and ``R_j = R_parent Q_j``, where ``t_j`` is the joint's translation
    (the OFFSET, or its position channels) and ``Q_j`` its local Euler rotation; vectorised over frames.

    Args:
        clip: a parsed BVH clip.

    Returns:
        (T, J, 3) float64 global positions in file units and file axes, J = ``len(clip.names)`` (End Sites
        included).

    Shape:
        clip.motion (T, C) -> (T, J, 3).
    """
    T, J = clip.num_frames, len(clip.names)
    positions = np.zeros((T, J, 3))
    rotations: list[Rotation | None] = [None] * J  # None = identity, saves work for End Sites
    for j in range(J):
        local_rot, translation = _local_transform(clip, j)
        p = clip.parents[j]
        if p < 0:
            positions[:, j] = translation
            rotations[j] = local_rot
            continue
        parent_rot = rotations[p]
        step = translation if parent_rot is None else parent_rot.apply(translation)
        positions[:, j] = positions[:, p] + step
        if parent_rot is None:
            rotations[j] = local_rot
        else:
            rotations[j] = parent_rot if local_rot is None else parent_rot * local_rot
    return positions
