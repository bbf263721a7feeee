"""Import another estimator's SMPL results: one person, over the whole video, as an SMPL parameter file.

What ``flowpose import vibe|pare|wham|phalp FILE --video VIDEO --out smpl.npz`` does; the file it writes is refined
by ``flowpose refine VIDEO --smpl smpl.npz --body-model SMPL_NEUTRAL.pkl``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowpose.body.importers import SMPL_FORMATS, import_smpl
from flowpose.body.params import save_smpl
from flowpose.errors import InputError
from flowpose.io.outdir import check_output_file
from flowpose.io.poses import written_by_flowpose


def import_smpl_file(
    fmt: str,
    source: Path,
    out: Path,
    *,
    image_size: tuple[int, int],
    num_frames: int,
    fps: float,
    K: np.ndarray | None,
    person: str | int = "prominent",
    overwrite: bool = False,
) -> list[str]:
    """Read ``source`` in ``fmt`` (:mod:`flowpose.body.importers`), write ``out``; returns lines for the user.

    Raises:
        InputError: for an unknown format, a bad output or malformed input, before anything is written.
    """
    if fmt not in SMPL_FORMATS:
        raise InputError(f"unknown SMPL results format {fmt!r}; choose from {list(SMPL_FORMATS)}")
    if out.suffix.lower() not in (".npz", ".json"):
        raise InputError(f"--out {out}: expected an SMPL parameter file ending in .npz or .json")
    check_output_file(out, overwrite=overwrite, is_ours=written_by_flowpose, inputs=[source])
    found = import_smpl(fmt, source, image_size=image_size, num_frames=num_frames, fps=fps, K=K, person=person)
    save_smpl(found.smpl, out)
    lines = [f"wrote {out}: person {found.track} of tracks {found.tracks}, {num_frames} frames"]
    if found.filled:
        lines.append(f"person {found.track} was not seen in {found.filled} of {num_frames} frames: filled by "
                     "interpolation (held at the ends)")
    return lines
