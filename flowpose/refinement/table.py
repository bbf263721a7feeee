"""Plain-text and Markdown rendering of a refinement history."""

from __future__ import annotations

import math
from typing import Sequence

from flowpose.refinement.result import CycleRecord

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("mpjpe", "MPJPE mm", "{:.1f}"),
    ("pa_mpjpe", "PA-MPJPE mm", "{:.1f}"),
    ("accel_error", "accel err mm/f²", "{:.2f}"),
    ("swapped", "swapped limb-pair frames", "{:.0f}"),
    ("accel", "accel mm/f²", "{:.2f}"),
    ("bone_std", "bone std mm", "{:.2f}"),
    ("flow_residual", "flow resid px", "{:.2f}"),
    ("flow_noise", "flow σ̂ px", "{:.2f}"),
    ("epe_all", "EPE all", "{:.2f}"),
    ("epe_valid", "EPE valid", "{:.2f}"),
    ("epe_human", "EPE human", "{:.2f}"),
    ("epe_sparse", "EPE joints", "{:.2f}"),
)
"""(metric key, header, format) in display order; columns absent from every record are left out."""


def history_rows(history: Sequence[CycleRecord]) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted cells of a history, one row per cycle, with the loss total and seconds."""
    keys = [c for c in COLUMNS if any(c[0] in r.metrics for r in history)]
    headers = ["cycle", *[h for _, h, _ in keys], "loss", "seconds"]
    rows = []
    for r in history:
        cells = [str(r.cycle)]
        for key, _, fmt in keys:
            v = r.metrics.get(key, math.nan)
            cells.append("-" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v))
        total = r.losses.get("total")
        cells.append("-" if total is None else f"{total:.4g}")
        cells.append(f"{sum(r.seconds.values()):.1f}")
        rows.append(cells)
    return headers, rows


def format_table(headers: list[str], rows: list[list[str]], *, markdown: bool = False) -> str:
    """Align a table as plain text (default) or GitHub Markdown."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    def line(cells):
        return ("| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths)) + " |") if markdown else "  ".join(
            c.rjust(w) for c, w in zip(cells, widths)
        )
    out = [line(headers)]
    if markdown:
        out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def format_history(history: Sequence[CycleRecord], *, markdown: bool = False) -> str:
    """The per-cycle table ``flowpose refine`` prints."""
    return format_table(*history_rows(history), markdown=markdown)
