"""The body mesh drawn over the video: the estimate (left) beside the refinement (right), ``overlay.mp4``.

Each frame's mesh is drawn with the painter's algorithm: triangles facing away from the camera are dropped,
the rest filled from the farthest to the nearest (OpenCV's ``fillConvexPoly``), shaded by the cosine between
their normal and the viewing ray (a headlight), and blended over the frame. Good enough to judge a fit by
eye; not a renderer (no anti-aliasing, intersecting triangles may show the wrong one).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

import cv2
import numpy as np

from flowpose.camera import project_np
from flowpose.io.video_writer import write_video

ESTIMATE_RGB = (230, 140, 60)
"""Colour of the estimate's mesh."""
REFINED_RGB = (70, 170, 230)
"""Colour of the refined mesh."""


def draw_mesh(
    frame: np.ndarray,
    vertices: np.ndarray,
    faces: np.ndarray,
    K: np.ndarray,
    rgb: tuple[int, int, int],
    alpha: float = 0.7,
) -> np.ndarray:
    """One frame with the mesh drawn over it.

    Args:
        frame: (H, W, 3) uint8 RGB.
        vertices: (V, 3) metres, camera frame (z forward).
        faces: (F, 3) int triangles, counter-clockwise seen from outside.
        K: (3, 3) intrinsics, px.
        rgb: the mesh's colour.
        alpha: its opacity.

    Returns:
        (H, W, 3) uint8 RGB, a new image.
    """
    tri = vertices[faces]  # (F, 3, 3)
    ahead = (tri[..., 2] > 1e-3).all(1)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    centre = tri.mean(1)
    facing = (normal * centre).sum(1) < 0  # toward the camera at the origin
    keep = np.flatnonzero(ahead & facing)
    layer = np.zeros_like(frame)
    mask = np.zeros(frame.shape[:2], np.uint8)
    if len(keep):
        tri, normal, centre = tri[keep], normal[keep], centre[keep]
        shade = np.abs((normal * centre).sum(1)) / (np.linalg.norm(normal, axis=1) * np.linalg.norm(centre, axis=1) + 1e-12)
        colours = (0.25 + 0.75 * shade)[:, None] * np.asarray(rgb, np.float64)
        uv = project_np(tri, K)
        points = np.round(uv * 16).astype(np.int32)  # 4 bits of sub-pixel precision
        for i in np.argsort(-centre[:, 2]):  # far to near
            colour = tuple(int(c) for c in colours[i])
            cv2.fillConvexPoly(layer, points[i], colour, lineType=cv2.LINE_8, shift=4)
            cv2.fillConvexPoly(mask, points[i], 255, lineType=cv2.LINE_8, shift=4)
    out = frame.astype(np.float32)
    drawn = mask > 0
    out[drawn] = (1 - alpha) * out[drawn] + alpha * layer[drawn]
    return out.astype(np.uint8)


def overlay_frames(
    frames: Iterable[np.ndarray], estimate: np.ndarray, refined: np.ndarray, faces: np.ndarray, K: np.ndarray
) -> Iterator[np.ndarray]:
    """The overlay's frames: the estimate's mesh on the left, the refined mesh on the right.

    Args:
        frames: T (H, W, 3) uint8 RGB frames.
        estimate: (T, V, 3) the estimate's vertices, metres.
        refined: (T, V, 3) the refined vertices.
        faces: (F, 3) triangles.
        K: (3, 3) or (T, 3, 3) intrinsics.
    """
    Ks = np.broadcast_to(K, (len(estimate), 3, 3))
    for t, frame in enumerate(frames):
        frame = np.asarray(frame)
        left = draw_mesh(frame, estimate[t], faces, Ks[t], ESTIMATE_RGB)
        right = draw_mesh(frame, refined[t], faces, Ks[t], REFINED_RGB)
        yield np.concatenate([left, right], axis=1)


def write_mesh_overlay(
    path: str | os.PathLike[str],
    frames: Sequence[np.ndarray],
    estimate: np.ndarray,
    refined: np.ndarray,
    faces: np.ndarray,
    K: np.ndarray,
    fps: float,
    times: np.ndarray | None = None,
) -> int:
    """Write :func:`overlay_frames` as an ``.mp4``, atomically; returns the frames in the file.

    ``times`` ((T,) seconds, or None for frames evenly spaced at ``fps``): frames of a variable frame rate are
    repeated at a constant rate so that each plays at its own time (:func:`flowpose.io.video_writer.write_video`).
    """
    return write_video(path, overlay_frames(frames, estimate, refined, faces, K), fps, times=times)
