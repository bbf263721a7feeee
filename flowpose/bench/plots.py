"""Per-cycle curves of a benchmark run, like the BMVC 2022 paper's figure: pose error and flow error against
the number of flow-pose cycles, mean over clips, one line per estimator profile."""

from __future__ import annotations

from pathlib import Path

from flowpose.bench.report import mean_history
from flowpose.bench.runner import SuiteResult
from flowpose.io.atomic import atomic_path


def plot_cycles(result: SuiteResult, path: Path) -> Path:
    """Save MPJPE, PA-MPJPE and EPE (all, human, joints) against the cycle, mean over clips.

    Uses the 5-cycle ablation run when there is one (longer curves), else the main run.

    Args:
        result: a benchmark run.
        path: the image to write (``.png``).

    Returns:
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display needed; the benchmark runs headless
    import matplotlib.pyplot as plt

    fig, (ax_pose, ax_flow) = plt.subplots(1, 2, figsize=(10, 3.8))
    for profile in result.config.profiles:
        clips = [c for c in result.clips if c.profile == profile]
        runs = [c.ablations.get("cycles", c.history) for c in clips]
        hist = mean_history(runs)
        cycles = [r.cycle for r in hist]
        ax_pose.plot(cycles, [r.metrics.get("mpjpe") for r in hist], "o-", label=f"{profile} MPJPE")
        ax_pose.plot(cycles, [r.metrics.get("pa_mpjpe") for r in hist], "s--", label=f"{profile} PA-MPJPE")
        for key, style in (("epe_all", "o-"), ("epe_human", "s--"), ("epe_sparse", "^:")):
            ax_flow.plot(cycles, [r.metrics.get(key) for r in hist], style, label=f"{profile} {key[4:]}")
    ax_pose.set(xlabel="cycle", ylabel="mm", title="3D pose error")
    ax_flow.set(xlabel="cycle", ylabel="px", title="flow end-point error")
    for ax in (ax_pose, ax_flow):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
    return path
