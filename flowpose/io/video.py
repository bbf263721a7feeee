"""Lazy video reading (a video file or a folder of images), with OpenCV.

Frames are (H, W, 3) uint8 RGB. A :class:`VideoReader` decodes a frame only when it is asked for, so a long
video never sits in memory unless :meth:`VideoReader.read` is asked for all of it.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import Iterator

import cv2
import numpy as np

from flowpose.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
"""Suffixes of the images read from a frame folder (case-insensitive)."""

DEFAULT_FPS = 30.0
"""Frame rate assumed for image folders, and for files whose container gives none."""

MISSING_FRAMES = 2
"""A video file is told cut or damaged (:attr:`VideoReader.listed_frames`) when its container lists at least this
many frames more than decode: a container may estimate its count from its duration, a frame off."""


class VideoReader(ABC):
    """Random access to the frames of a video, decoded on demand.

    Attributes:
        path: the file or folder read.
        fps: frames per second.
        size: (H, W) frame size in pixels.
        fps_known: whether ``fps`` is the video's own (its container's, or given by the caller); False where
            :data:`DEFAULT_FPS` was assumed (an image folder, a container without a rate).
        rate_given: whether the caller gave ``fps``; then the frames are evenly spaced at it, whatever the
            container's timestamps say.
        rotation: degrees (0, 90, 180 or 270) by which a video file's stored frames are turned to be shown
            upright (phone video's rotation metadata); the frames read are upright. 0 for image folders.
        listed_frames: the frame count a video file's container lists where fewer frames decode (a cut or damaged
            file: :data:`MISSING_FRAMES` or more short); None otherwise. Only the frames that decode are read.
    """

    rotation: int = 0
    listed_frames: int | None = None

    def __init__(
        self, path: Path, fps: float, size: tuple[int, int], fps_known: bool = True, rate_given: bool = False
    ) -> None:
        self.path = path
        self.fps = float(fps)
        self.size = size
        self.fps_known = fps_known
        self.rate_given = rate_given

    @abstractmethod
    def __len__(self) -> int:
        """Number of frames T."""

    @abstractmethod
    def _frame(self, index: int) -> np.ndarray:
        """Decode frame ``index`` (0 <= index < T) as (H, W, 3) uint8 RGB."""

    def __repr__(self) -> str:
        """``FileVideoReader('clip.mp4', 399 frames of 1000x1002 px, 50 fps)``: what was opened, width first."""
        H, W = self.size
        turned = f", stored turned by {self.rotation}°, read upright" if self.rotation else ""
        rate = f"{self.fps:g} fps{'' if self.fps_known else ' (assumed)'}"
        return f"{type(self).__name__}({str(self.path)!r}, {len(self)} frames of {W}x{H} px, {rate}{turned})"

    def __getitem__(self, index: int) -> np.ndarray:
        """Frame ``index`` (negative counts from the end) as (H, W, 3) uint8 RGB.

        Raises:
            IndexError: outside ``[-T, T)``.
            InputError: if the frame cannot be decoded.
        """
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{self.path}: frame {index} out of range for a video of {n} frames")
        return self._frame(index % n)

    def __iter__(self) -> Iterator[np.ndarray]:
        """Frames in order, decoded one at a time."""
        for i in range(len(self)):
            yield self._frame(i)

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Decode frames ``start`` to ``stop`` (exclusive; None: the end) into one array.

        Returns:
            (N, H, W, 3) uint8 RGB.

        Raises:
            InputError: for an empty or out-of-range span.
        """
        stop = len(self) if stop is None else stop
        if not 0 <= start < stop <= len(self):
            raise InputError(
                f"{self.path}: cannot read frames [{start}, {stop}) of a video of {len(self)} frames"
            )
        out = np.empty((stop - start, *self.size, 3), np.uint8)  # filled in place: no second copy at the peak
        for i in range(start, stop):
            out[i - start] = self._frame(i)
        return out

    def segment(self, start: int, stop: int) -> "VideoReader":
        """Frames ``start`` to ``stop`` (exclusive) as a video of their own, still decoded on demand.

        A segment of a long video must not sit in memory any more than the whole video does: ``read`` it only
        where it is known to be small.

        Returns:
            This reader for the whole span, else a :class:`VideoSegment` of it.

        Raises:
            InputError: for an empty or out-of-range span.
        """
        if (start, stop) == (0, len(self)):
            return self
        return VideoSegment(self, start, stop)

    def times_ms(self, start: int, stop: int) -> np.ndarray | None:
        """The presentation times of frames ``[start, stop)``, ms (NaN where the decoder gives none), or None where
        the video has no clock of its own (an image folder)."""
        return None

    def close(self) -> None:  # noqa: B027 - a default no-op that subclasses with a decoder override
        """Release the decoder (a no-op for image folders)."""

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class VideoSegment(VideoReader):
    """Frames ``[start, stop)`` of another reader as a video of their own: frame ``i`` is the reader's ``start + i``,
    decoded by that reader on demand, with its rate, size, rotation and clock. Closing the segment leaves the
    reader open (whoever opened the reader closes it).

    Example:
        >>> from pathlib import Path
        >>> class Ramp(VideoReader):  # frame t is filled with the value t
        ...     def __len__(self): return 10
        ...     def _frame(self, index): return np.full((2, 3, 3), index, np.uint8)
        >>> part = Ramp(Path("ramp"), 30.0, (2, 3)).segment(4, 7)
        >>> len(part), int(part[0][0, 0, 0]), int(part[-1][0, 0, 0]), part.read().shape
        (3, 4, 6, (3, 2, 3, 3))
        >>> part
        VideoSegment('ramp', 3 frames of 3x2 px, 30 fps, frames 4 to 6 of Ramp)
    """

    def __init__(self, reader: VideoReader, start: int, stop: int) -> None:
        if not 0 <= start < stop <= len(reader):
            raise InputError(f"{reader.path}: no frames [{start}, {stop}) in a video of {len(reader)} frames")
        super().__init__(reader.path, reader.fps, reader.size, fps_known=reader.fps_known,
                         rate_given=reader.rate_given)
        self.rotation, self.listed_frames = reader.rotation, reader.listed_frames
        self.reader, self.start, self.stop = reader, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, frames {self.start} to {self.stop - 1} of {type(self.reader).__name__})"

    def _frame(self, index: int) -> np.ndarray:
        return self.reader[self.start + index]

    def times_ms(self, start: int, stop: int) -> np.ndarray | None:
        """The reader's presentation times of the segment's frames ``[start, stop)``, ms (see the reader's)."""
        return self.reader.times_ms(self.start + start, self.start + stop)


class ImageFolderReader(VideoReader):
    """A folder of same-sized images as a video, in natural name order (``f2.png`` before ``f10.png``)."""

    def __init__(self, folder: Path, fps: float | None = None) -> None:
        files = [f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            raise InputError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
        self.files = sorted(files, key=_natural_key)
        first = self._imread(self.files[0])
        given = fps is not None
        super().__init__(folder, fps if given else DEFAULT_FPS, first.shape[:2], fps_known=given, rate_given=given)

    def __len__(self) -> int:
        return len(self.files)

    def _frame(self, index: int) -> np.ndarray:
        image = self._imread(self.files[index])
        if image.shape[:2] != self.size:
            raise InputError(
                f"{self.files[index]}: image size {image.shape[:2]} differs from the first, {self.size}"
            )
        return image

    @staticmethod
    def _imread(file: Path) -> np.ndarray:
        bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if bgr is None:
            raise InputError(f"{file}: not a readable image")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class FileVideoReader(VideoReader):
    """A video file decoded with OpenCV's FFmpeg backend.

    Seeking is exact rather than fast: reading forward decodes from the last frame read, and reading
    backwards reopens the file and decodes from the start, because ``CAP_PROP_POS_FRAMES`` seeks land on
    keyframes and are not frame-exact for every codec.

    The frame count is the container's ``CAP_PROP_FRAME_COUNT`` only if it checks out (frame ``n - 1``
    decodes and frame ``n`` does not); some containers store an estimate (duration x fps), and then every
    frame is decoded once to count them.
    """

    def __init__(self, file: Path, fps: float | None = None) -> None:
        self._cap = self._open(file)
        ok, first = self._cap.read()
        if not ok:
            self._cap.release()
            raise InputError(f"{file}: no frame could be decoded (corrupt or empty video?)")
        self._next, self._cached = 1, (0, first)
        self._times = {0: self._cap.get(cv2.CAP_PROP_POS_MSEC)}  # frame -> presentation time, ms
        meta = self._cap.get(cv2.CAP_PROP_ORIENTATION_META)
        self.rotation = int(round(meta)) % 360 if math.isfinite(meta) else 0
        known, given = True, fps is not None
        if fps is None:
            fps = self._cap.get(cv2.CAP_PROP_FPS)
            if not (math.isfinite(fps) and fps > 0):
                warnings.warn(f"{file}: no frame rate in the container; assuming {DEFAULT_FPS}", stacklevel=3)
                fps, known = DEFAULT_FPS, False
        super().__init__(file, fps, first.shape[:2], fps_known=known, rate_given=given)
        self._count = self._verified_count()

    @staticmethod
    def _open(file: Path) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(str(file), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            raise InputError(f"{file}: not a readable video (OpenCV/FFmpeg cannot open it; corrupt file?)")
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)  # frames upright, as players show them (OpenCV's default too)
        return cap

    def _verified_count(self) -> int:
        """The frames that decode, counted where the container's count cannot be confirmed by a seek to its last
        frame; sets :attr:`listed_frames` where the container lists :data:`MISSING_FRAMES` or more besides."""
        cap = self._open(self.path)
        try:
            n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            if n > 0:
                cap.set(cv2.CAP_PROP_POS_FRAMES, n - 1)
                if cap.grab() and not cap.grab():
                    return n
                cap.release()
                cap = self._open(self.path)
            count = 0
            while cap.grab():
                count += 1
            if n - count >= MISSING_FRAMES:
                self.listed_frames = n
            return count
        finally:
            cap.release()

    def __len__(self) -> int:
        return self._count

    def _frame(self, index: int) -> np.ndarray:
        if index != self._cached[0]:
            if index < self._next:  # backwards: start again
                self._cap.release()
                self._cap, self._next = self._open(self.path), 0
            while self._next < index:
                if not self._cap.grab():
                    raise InputError(f"{self.path}: could not decode frame {self._next} of {len(self)}")
                self._times[self._next] = self._cap.get(cv2.CAP_PROP_POS_MSEC)
                self._next += 1
            ok, bgr = self._cap.read()
            if not ok:
                raise InputError(f"{self.path}: could not decode frame {index} of {len(self)}")
            self._times[index] = self._cap.get(cv2.CAP_PROP_POS_MSEC)
            self._next, self._cached = index + 1, (index, bgr)
        return cv2.cvtColor(self._cached[1], cv2.COLOR_BGR2RGB)

    def times_ms(self, start: int, stop: int) -> np.ndarray | None:
        """The presentation times of frames ``[start, stop)``, ms, NaN where the decoder gives none: those of frames
        decoded already, the rest read by a pass of their own over the file (decoded, not converted to RGB)."""
        if any(i not in self._times for i in range(start, stop)):
            cap = self._open(self.path)
            try:
                for i in range(stop):
                    if not cap.grab():
                        break
                    self._times.setdefault(i, cap.get(cv2.CAP_PROP_POS_MSEC))
            finally:
                cap.release()
        return np.array([self._times.get(i, np.nan) for i in range(start, stop)], np.float64)

    def close(self) -> None:
        self._cap.release()


def open_video(path: str | os.PathLike[str], *, fps: float | None = None) -> VideoReader:
    """Open a video file (.mp4, .avi, ...) or a folder of images for lazy reading.

    Args:
        path: a video file, or a folder of ``.png``/``.jpg``/``.jpeg``/``.bmp`` frames.
        fps: frame rate overriding the container's; image folders default to 30.

    Returns:
        A :class:`VideoReader`; use it as a context manager (or call ``close``) to release the decoder.

    Raises:
        InputError: naming the path, for a missing path, an empty folder, a single image, or a file OpenCV
            cannot decode.

    Example:
        >>> with open_video("clip.mp4") as video:  # doctest: +SKIP
        ...     first = video[0]; print(len(video), video.fps, video.size)
        399 50.0 (1002, 1000)
    """
    p = Path(path)
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be a positive number, got {fps}")
    if not p.exists():
        raise InputError(f"{p}: no such video file or image folder")
    if p.is_dir():
        return ImageFolderReader(p, fps)
    if p.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(f"{p}: a single image, not a video; pass the folder holding the frames instead")
    return FileVideoReader(p, fps)


def _natural_key(file: Path) -> list[object]:
    """Sort key that orders embedded numbers by value: ``f2`` < ``f10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", file.name)]
