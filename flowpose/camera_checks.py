"""Is a pose file's camera this video's? Checks of K and the 2D against the frames' size.

Another tool's poses come with its camera K (and often its 2D), in the pixels of the frames it was given. When those
were not the video's own (a smaller copy, an image normalised to 1x1) or K is not the 3D's camera, the checks of the
file alone pass, and refinement reads the flow at the wrong pixels. These say so in one line; ``flowpose refine``
tells them for another tool's poses, :func:`flowpose.refine` warns them.
"""

from __future__ import annotations

import numpy as np

from flowpose.camera import project_np
from flowpose.pose import PoseSequence


def off_image_note(poses: PoseSequence, image_size: tuple[int, int], source: str) -> str | None:
    """A warning for poses whose 2D (their keypoints, else their projection) misses the image in most frames:
    the pose file's camera is not the video's, or the poses are of another video. None when at least half the
    frames with an observed joint have one inside the image.

    Args:
        poses: the initial poses.
        image_size: (H, W) of the video, px.
        source: the pose file, for the message.
    """
    H, W = image_size
    x2d = poses.joints2d if poses.joints2d is not None else project_np(poses.joints3d, poses.K_per_frame())
    seen, missed = frames_off_image(x2d, (poses.confidence() > 0) & np.isfinite(x2d).all(-1), image_size)
    if missed * 2 <= seen:
        return None
    return (f"{source}: in {missed} of its {seen} frames no joint lies inside the {W}x{H} image; is its "
            "camera (K) the video's? (--intrinsics, --focal-px)")


OFF_CENTRE = 0.15
"""A camera's principal point lies within this share of the frame's size from its centre; farther, on both axes
and by one scale, K is of frames of another size (:func:`scaled_camera_note`)."""


def scaled_camera_note(poses: PoseSequence, image_size: tuple[int, int], source: str) -> str | None:
    """A warning for poses whose camera is of frames of another size: its principal point is the centre of frames
    scaled by one factor, not this video's. Tools often estimate on frames made smaller (a 4K phone video at
    1080p); their K and 2D are then in those frames' pixels, which the 2D checks miss (the points still fall inside
    the larger frames), and the flow would be read at the wrong pixels. Likewise for the frames turned by 90
    degrees (portrait against landscape: a tool that read the video's rotation metadata otherwise). None when the
    principal point is near the centre, or off it in a way no single scale explains (a camera calibrated off
    centre). A principal point within (0, 1] px on both axes is told as K normalised by the image's size, as some
    datasets keep it.

    Args:
        poses: the initial poses.
        image_size: (H, W) of the video, px.
        source: the pose file, for the message.

    Example:
        >>> seq = PoseSequence(np.ones((2, 17, 3)) + [0, 0, 3], np.array([[500, 0, 480], [0, 500, 270], [0, 0, 1.0]]))
        >>> scaled_camera_note(seq, (1080, 1920), "p.npz")[:86]
        'p.npz: its camera K has its principal point at (480, 270), the centre of about 960x540'
    """
    H, W = image_size
    cx, cy = np.median(poses.K_per_frame()[:, :2, 2], axis=0)
    if 0 < min(cx, cy) and max(cx, cy) <= 1.0:  # the centre of a 1x1 frame: K in units of the image's size
        return (f"{source}: its camera K has its principal point at ({cx:.2g}, {cy:.2g}): normalised by the "
                f"image's size? flowpose reads K in the video's pixels: multiply fx and cx by its width ({W}), fy and cy "
                f"by its height ({H}), or pass the video's camera (--intrinsics, --focal-px)")
    near = abs(cx - (W - 1) / 2) <= OFF_CENTRE * W and abs(cy - (H - 1) / 2) <= OFF_CENTRE * H
    sx, sy = 2 * cx / W, 2 * cy / H  # the scale of frames whose centre this is (to a pixel)
    tx, ty = 2 * cx / H, 2 * cy / W  # the same, for the video's frames turned by 90 degrees
    if near or min(sx, sy, tx, ty) <= 0:
        return None
    w, h = 2 * round(cx + 0.25), 2 * round(cy + 0.25)  # even sizes, whether the centre is W/2 or (W - 1)/2
    centre = (f"{source}: its camera K has its principal point at ({cx:.0f}, {cy:.0f}), the centre of about "
              f"{w}x{h} frames")
    if abs(sx / sy - 1) <= OFF_CENTRE:
        return (f"{centre}, not of the video's {W}x{H}: poses made from frames scaled by {(w / W + h / H) / 2:.2g}? "
                "flowpose reads K and 2D in the video's pixels: rescale them (without joints2d, passing the video's "
                "camera will do: --intrinsics, --focal-px)")
    if abs(tx / ty - 1) <= OFF_CENTRE:
        scale = (w / H + h / W) / 2
        scaled = "" if abs(scale - 1) <= OFF_CENTRE else f" and scaled by {scale:.2g}"
        return (f"{centre}: the video's {W}x{H} frames turned by 90 degrees{scaled}? flowpose reads K and 2D in "
                f"the pixels of its frames as it decodes them, upright ({W}x{H}; a video's rotation metadata "
                "applied): make the poses from those frames")
    return None


def frames_off_image(x2d: np.ndarray, observed: np.ndarray, image_size: tuple[int, int]) -> tuple[int, int]:
    """(frames with an observed point, of them frames where none lies inside the (H, W) image)."""
    H, W = image_size
    with np.errstate(invalid="ignore"):
        inside = observed & (x2d[..., 0] >= -0.5) & (x2d[..., 0] < W - 0.5) & (x2d[..., 1] >= -0.5) & (
            x2d[..., 1] < H - 0.5)
    return int(observed.any(1).sum()), int((observed.any(1) & ~inside.any(1)).sum())
