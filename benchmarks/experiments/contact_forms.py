"""L_contact's forms tried and not kept, and its gate on frames in the air: the options of ``foot_contact.py`` and
``foot_contact_synth.py``.

The package's L_contact (:func:`flowpose.refinement.body_losses.contact_loss`, ``--form centroid`` here) measures the
lower ankle's height above where it should stand and moves the body there whole, up the world's z. The others keep the
residual's value d_t = 1000 (z_t - h) (z_t the lower ankle's world height, h its height on the floor) and route its
gradient elsewhere:

- ``ankle``: on the lower ankle alone (the fifty-fifth session's first form);
- ``ray``: on every joint alike, along the ray through the frame's centroid c_t: d_t = 1000 (z_t + a_t l_t - h) with
  a_t = r_t . (c_t - sg(c_t)), r_t = sg(c_t) / |sg(c_t)|, l_t = (R^T r_t)_z (a body moved whole along its ray changes
  height only as far as the ray climbs; only the centroid's pixel is kept);
- ``scale``: on every joint along its own ray, as a scale s_t about the camera's centre: d_t = 1000 (z_t + (s_t - 1)
  u_t - h) with s_t = sum_j X_j . sg(X_j) / sum_j |sg(X_j)|^2 (1 in value) and u_t = (R^T X_a)_z of the lower ankle
  (:mod:`flowpose.floor`'s scaling, frame by frame: every 2D projection kept, the body's size not).

``--flight-gate M`` leaves L_contact off the frames where the initial estimate's lower ankle stands more than M metres
above its place on the floor (a jump, if the estimate's height is right): ``PoseStageConfig.contact_flight_m``, the
package's 0.2 by default; ``none`` holds every frame (the fifty-fifth session's term).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import torch

from flowpose.floor import CONTACT_WEIGHT
from flowpose.refinement import objective
from flowpose.refinement.losses import MM_PER_M, Penalty, robust_mean
from flowpose.refinement.pose_config import PoseStageConfig

FORMS = ("centroid", "ankle", "ray", "scale")


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--form`` and ``--flight-gate``."""
    parser.add_argument("--form", choices=FORMS, default="centroid",
                        help="where L_contact's gradient goes (module docstring); centroid: the package's")
    parser.add_argument("--flight-gate", type=_gate, default=PoseStageConfig().contact_flight_m, metavar="M|none",
                        help="no contact in frames whose initial lower ankle is more than M metres above its place on "
                             "the floor (default: the package's); none: every frame held")


def _gate(text: str) -> float | None:
    return None if text == "none" else float(text)


def use(args: argparse.Namespace) -> None:
    """Make the pose stage use ``args.form`` (module docstring)."""
    if args.form != "centroid":
        _form[0] = args.form
        objective.contact_loss = _contact  # what the pose stage calls


def contact_config(pose: PoseStageConfig, floor_z: float, args: argparse.Namespace) -> PoseStageConfig:
    """``pose`` with L_contact on (``refine --floor-contact``'s weight) for the floor at ``floor_z``, gated at
    ``args.flight_gate``."""
    return replace(pose, w_contact=CONTACT_WEIGHT, contact_floor_z=floor_z, contact_flight_m=args.flight_gate)


_form = ["centroid"]


def _contact(X: torch.Tensor, world: torch.Tensor, ankles: tuple[int, int], height_m: float, weights: torch.Tensor, *,
             delta_mm: float, penalty: Penalty) -> torch.Tensor:
    """L_contact in the form ``_form[0]`` (module docstring): X (T, J, 3) camera metres, world (3, 4) -> () mm^2."""
    R, t = world[:, :3].to(X.dtype), world[:, 3].to(X.dtype)
    lower = ((X[:, list(ankles)] - t) @ R)[..., 2].min(dim=1)  # (T,) the lower ankle's height and which
    if _form[0] == "ankle":
        z = lower.values
    else:
        z = lower.values.detach()
        if _form[0] == "ray":
            c = X.mean(1)
            ray = c.detach() / c.detach().norm(dim=-1, keepdim=True).clamp_min(1e-6)
            z = z + ((c - c.detach()) * ray).sum(-1) * (ray @ R)[:, 2]
        else:
            Xd = X.detach()
            s = (X * Xd).sum((1, 2)) / (Xd * Xd).sum((1, 2)).clamp_min(1e-12)
            u = (Xd[torch.arange(len(X)), torch.as_tensor(ankles)[lower.indices]] @ R)[:, 2]
            z = z + (s - 1.0) * u
    d = MM_PER_M * (z - height_m)
    return robust_mean(d[:, None, None], weights[:, None].to(X.dtype), delta_mm, penalty)
