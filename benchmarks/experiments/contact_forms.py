"""L_contact's forms tried and not kept, and a gate on frames in flight: the options of ``foot_contact.py`` and
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

``--flight-gate M`` takes L_contact off the frames where the initial estimate's lower ankle stands more than M metres
above its height on the floor (a jump, if the estimate's height is right); it says on stderr how many, each time the
pose stage builds its problem.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import torch

from flowpose.floor import ANKLE_HEIGHT_M
from flowpose.io.world_frame import ANKLES
from flowpose.refinement import objective, optimize
from flowpose.refinement.losses import MM_PER_M, Penalty, robust_mean

FORMS = ("centroid", "ankle", "ray", "scale")


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--form`` and ``--flight-gate``."""
    parser.add_argument("--form", choices=FORMS, default="centroid",
                        help="where L_contact's gradient goes (module docstring); centroid: the package's")
    parser.add_argument("--flight-gate", type=float, default=None, metavar="M",
                        help="no contact in frames whose initial lower ankle is more than M metres above the floor's")


def use(args: argparse.Namespace) -> None:
    """Make the pose stage use ``args.form`` and ``args.flight_gate`` (module docstring)."""
    if args.form != "centroid":
        _form[0] = args.form
        objective.contact_loss = _contact  # what the pose stage calls
    if args.flight_gate is not None:
        _gate[0] = args.flight_gate
        optimize.build_pose_problem = _gated_problem


_form = ["centroid"]
_gate = [0.0]
_build = optimize.build_pose_problem


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


def _gated_problem(init, config, device):  # noqa: ANN001, ANN202 - the signature of optimize.build_pose_problem
    """optimize.build_pose_problem with L_contact off where the initial lower ankle is above the gate."""
    problem = _build(init, config, device)
    if problem.contact_weights is None:
        return problem
    R, t = problem.world[:, :3], problem.world[:, 3]
    z = ((problem.X_ref[:, list(ANKLES)] - t) @ R)[..., 2]
    lower = torch.where(torch.isfinite(z), z, torch.inf).min(1).values
    up = lower > config.contact_floor_z + ANKLE_HEIGHT_M + _gate[0]
    print(f"  flight gate: no contact in {int(up.sum())} of {len(up)} frames", file=sys.stderr, flush=True)
    return replace(problem, contact_weights=torch.where(up, 0.0, problem.contact_weights))
