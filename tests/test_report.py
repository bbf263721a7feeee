"""The report PNG: per-cycle metric panels and joint trajectories; skipped without matplotlib."""

from __future__ import annotations

import builtins
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowpose.flow.field import FlowField
from flowpose.pose import PoseSequence
from flowpose.refinement.result import CycleRecord, RefineResult
from flowpose.report import _metric_panels, _title, matplotlib_available, plot_report


def _result(T: int = 12, with_gt_metrics: bool = True) -> tuple[RefineResult, PoseSequence]:
    rng = np.random.default_rng(0)
    K = np.array([[100.0, 0, 32], [0, 100.0, 32], [0, 0, 1]])
    j = rng.normal(0, 0.2, (T, 17, 3)) + [0, 0, 3]
    init = PoseSequence(joints3d=j, K=K, fps=10.0)
    refined = init.with_joints3d(j * 0.9 + [0, 0, 0.3])
    history = [
        CycleRecord(
            k,
            metrics={
                "accel": 10.0 / (k + 1),
                "bone_std": 5.0 - k,
                "flow_residual": 2.0 - 0.5 * k,
                **({"mpjpe": 80.0 - 5 * k, "epe_human": float("nan")} if with_gt_metrics else {}),
                "custom_metric": float(k),
            },
        )
        for k in range(3)
    ]
    flow = FlowField.full_frame(np.zeros((T - 1, 8, 8, 2)))
    return RefineResult(poses=refined, flow=flow, history=history), init


def test_metric_panels_follow_the_table_order() -> None:
    result, _ = _result()
    keys = [k for k, _ in _metric_panels(result.history)]
    assert keys == [
        "mpjpe",
        "accel",
        "bone_std",
        "flow_residual",
        "custom_metric",
    ]  # NaN-only epe_human left out


def test_the_swap_count_is_in_the_title_not_a_panel() -> None:
    result, init = _result()
    assert "swaps" not in _title(result, init)
    result.history[0].metrics["swaps_repaired"] = 7.0
    assert "swaps_repaired" not in [k for k, _ in _metric_panels(result.history)]
    title = _title(result, init)
    assert title.endswith("(every metric: lower is better)\nleft/right swaps repaired before refinement: 7 limb-pair frames")
    result.history[0].metrics["swaps_repaired"] = 1.0
    assert _title(result, init).endswith("refinement: 1 limb-pair frame")


def test_the_title_leaves_out_a_metric_without_a_value() -> None:
    """Two frames have no acceleration: the title said `accel nan -> nan`."""
    result, init = _result(with_gt_metrics=False)
    assert _title(result, init).startswith("flowpose refinement: 12 frames, 2 cycles;  accel 10.00 -> 3.33;  bone ")
    for record in result.history:
        record.metrics["accel"] = float("nan")
    title = _title(result, init)
    assert "accel" not in title and "nan" not in title
    assert title.startswith("flowpose refinement: 12 frames, 2 cycles;  bone 5.00 -> 3.00;  flow 2.00 -> 1.00")


@pytest.mark.skipif(not matplotlib_available(), reason="matplotlib (the plot extra) is not installed")
@pytest.mark.parametrize("with_gt", [False, True])
def test_plot_report_writes_a_png(tmp_path: Path, with_gt: bool) -> None:
    result, init = _result(with_gt_metrics=with_gt)
    gt = result.poses.joints3d + 0.01 if with_gt else None
    assert plot_report(result, tmp_path / "report.png", init=init, gt=gt) is True
    image = cv2.imread(str(tmp_path / "report.png"))
    assert image is not None and image.shape[1] == 1300 and image.shape[0] > 600
    assert image.std() > 10  # something drawn, not a blank canvas
    # Orange (initial) and blue (refined) curves are both present (BGR).
    assert ((image[..., 2] > 200) & (image[..., 1] > 100) & (image[..., 0] < 60)).any()
    assert ((image[..., 0] > 180) & (image[..., 2] < 60)).any()
    assert [p.name for p in tmp_path.iterdir()] == ["report.png"]  # atomic: no temporary left behind


@pytest.mark.skipif(not matplotlib_available(), reason="matplotlib (the plot extra) is not installed")
@pytest.mark.parametrize("with_gt", [False, True])
def test_the_panels_labels_and_title_neither_overlap_nor_leave_the_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_gt: bool
) -> None:
    """The margins are set by hand (no constrained layout): every panel with its tick labels, title and axis label
    inside the image, apart from every other panel and from the figure's title."""
    from matplotlib.figure import Figure

    drawn: list[Figure] = []
    real_savefig = Figure.savefig

    def savefig(fig, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        drawn.append(fig)
        return real_savefig(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    result, init = _result(with_gt_metrics=with_gt)
    for record in result.history:  # a wide tick label: the widest the figures give
        record.metrics["bone_std"] = 1234.5 * (1 + record.cycle)
    result.history[0].metrics["swaps_repaired"] = 3.0  # the title's second line
    assert plot_report(result, tmp_path / "report.png", init=init, gt=result.poses.joints3d + 0.01) is True
    fig = drawn[0]
    renderer = fig.canvas.get_renderer()
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes]
    assert len(boxes) == len(_metric_panels(result.history)) + 6
    page = fig.bbox
    for box in boxes:
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    title = fig._suptitle.get_window_extent(renderer)
    assert page.y0 <= title.y0 and title.y1 <= page.y1
    assert not any(title.overlaps(box) for box in boxes)


@pytest.mark.skipif(not matplotlib_available(), reason="matplotlib (the plot extra) is not installed")
def test_a_segment_is_drawn_at_the_video_s_own_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.axes import Axes

    result, init = _result()
    result = RefineResult(poses=replace(result.poses, first_frame=30), flow=result.flow, history=result.history)
    starts: dict[str, set[float]] = {}
    real_plot = Axes.plot

    def plot(ax, x, *args, label=None, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        starts.setdefault(label, set()).add(float(np.asarray(x)[0]))
        return real_plot(ax, x, *args, label=label, **kwargs)

    monkeypatch.setattr(Axes, "plot", plot)
    assert plot_report(result, tmp_path / "report.png", init=init, gt=result.poses.joints3d) is True
    assert starts["refined"] == starts["initial"] == starts["ground truth"] == {3.0}  # frame 30 at 10 fps


def test_plot_report_without_matplotlib_warns_and_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    for mod in [m for m in sys.modules if m.startswith("matplotlib")]:
        monkeypatch.delitem(sys.modules, mod)
    result, init = _result()
    with pytest.warns(UserWarning, match=r'report.png skipped \(pip install "flowpose\[plot\]"\)'):
        assert plot_report(result, tmp_path / "report.png", init=init) is False
    assert not (tmp_path / "report.png").exists()
