"""The pose stage's settings: the weight of every term of L_pose and the solver's (DESIGN.md, "The losses")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from flowpose.errors import InputError
from flowpose.refinement.losses import Penalty

SMPL_MAX_STEPS = 200
"""The SMPL pose stage's iteration cap per flow round (``RefineConfig.smpl_max_steps``, and
:class:`flowpose.body.refine.SmplRefineConfig`'s default). With its rotations in the translation's units
(:data:`flowpose.body.refine.ROTATION_UNIT`) more iterations still lower the loss but hardly the error: on
``benchmarks/bench_smpl.py``'s clips MPJPE 71.4 mm at 200 and 71.9 at 1,000 joints only, 67.1 and 66.4 with the mesh
term, in four to six times the time; 200 keeps a 300-frame, 7,000-vertex solve well under a minute (12 s)."""


@dataclass(frozen=True)
class PoseStageConfig:
    """Weights and solver settings of the pose stage. A term with weight 0 is off.

    Weights are inverse variances in each term's unit (w = 1 / sigma^2: a residual of sigma costs 0.5).
    """

    w_flow: float = 1.0
    """L_opt weight, px^-2 (sigma = 1 px of flow error). Ignored when no flow is given."""
    w_3d_rel: float = 1.0 / 60.0**2
    """Relative 3D weight (the pose about its centre, ``pose3d_centre``), mm^-2 (sigma = 60 mm, about a METRO-like
    estimator's MPJPE; tuned, about the root joint, on the held-out tuning clip cmu_3dsmax/131_01, metro and spin
    profiles, see benchmarks/experiments/tune_pose_stage.py)."""
    w_3d_abs: float = 1.0 / 300.0**2
    """Weight of the centre's absolute position, mm^-2 (sigma = 300 mm: weak, monocular depth is unreliable)."""
    w_3d_lateral: float = 1.0 / 20.0**2
    """Weight of the centre's position across its viewing ray, mm^-2 (sigma = 20 mm, about 1 px at 4 m with
    f = 200 px: the estimator's camera fit places the body in the image as well as a detector; see
    :func:`flowpose.refinement.body_losses.pose3d_losses`; tuned on the held-out tuning clip). Part of the
    ``"3d_abs"`` term."""
    w_contact: float = 0.0
    """Foot-contact weight, mm^-2 (:func:`flowpose.refinement.body_losses.contact_loss`; part of the ``"3d_abs"``
    term): in every frame the lower ankle stands :data:`flowpose.floor.ANKLE_HEIGHT_M` above the floor at world
    z = ``contact_floor_z`` of the poses' world (:attr:`flowpose.pose.PoseSequence.world`, which ``refine --floor``
    sets), but in the frames ``contact_flight_m`` leaves free. For a person with a foot on the floor most of the time
    (standing, walking, balancing). 0 = off; ``refine --floor-contact``: 1 / 20^2
    (``benchmarks/experiments/foot_contact.py``)."""
    contact_floor_z: float = 0.0
    """The world z of the floor the person stands on, metres (``refine --floor Z``: a platform's top)."""
    contact_delta_mm: float = 30.0
    """Robust scale of L_contact's residuals, mm."""
    contact_flight_m: float | None = 0.2
    """L_contact leaves a frame free where the initial estimate's lower ankle stands more than this above its place on
    the floor, metres: a jump, as far as the estimate's height can tell (on a camera that looks down, its depth error
    is height error too). None: every frame held. On synthetic clips seen from 25 degrees down it spares the jumps
    (cartwheels placed 548 -> 242 mm); on the real set, where nobody jumps, it leaves the figures within 0.3% MPJPE
    (``benchmarks/experiments/foot_contact.py``, ``foot_contact_synth.py --pitch 25``; ``benchmarks/RESULTS.md``,
    fifty-sixth session)."""
    w_2d: float = 1.0 / 2.0**2
    """2D keypoint weight, px^-2 (sigma = 2 px for a person of ``RefineConfig.reference_box_px``; the
    refinement loop rescales every pixel term to the person's size, :func:`flowpose.refinement.loop.pixel_scaled`;
    tuned like ``w_3d_rel``); without keypoints, the initial estimate's projection."""
    w_vel: float = 0.0
    """Velocity weight, (m/s)^-2. Off by default: it biases towards standing still; acceleration suffices."""
    w_still: float = 0.0
    """Weight of the 3D velocity of joints the flow shows standing still in the image, (m/s)^-2
    (:func:`flowpose.refinement.body_losses.stillness_loss`; part of the ``"vel"`` term): a joint still in the image
    of a still camera is still in depth too, which neither the flow nor the 2D sees. 0 = off."""
    still_px: float = 0.5
    """The scale of the flow's motion at a joint (px a frame, at ``RefineConfig.reference_box_px``) in its stillness
    exp(-(|F| / still_px)^2), times L_opt's weight there (1 for a joint the flow shows unmoved, 1/e at this motion)."""
    w_acc: float = 1.0 / 20.0**2
    """Acceleration weight, (m/s^2)^-2 (sigma = 20 m/s^2, the scale of brisk limb motion; tuned like
    ``w_3d_rel``: 10 m/s^2 over-smooths fast limbs)."""
    w_bone: float = 1.0 / 10.0**2
    """Bone-length variance weight, mm^-2 (sigma = 10 mm of length wobble; stiffer slows L-BFGS down)."""
    bone_samples: int = 3
    """Interior points per bone in L_opt, besides the joints."""
    flow_delta_px: float = 2.0
    """Robust scale of flow residuals, px: quadratic below, linear above."""
    keypoint_delta_px: float = 10.0
    """Robust scale of 2D keypoint residuals, px."""
    pose3d_delta_mm: float = 100.0
    """Robust scale of the 3D residuals, mm."""
    position_delta_mm: float = 1000.0
    """Robust scale of the centre's absolute position residual (``w_3d_abs``) in the frames that see few joints
    (``position_sparse_share``), mm: quadratic out to 1 m there, so that ``w_3d_abs``'s sigma holds (at
    ``pose3d_delta_mm``, 100 mm, a 2 m error costs a tenth of what sigma = 300 mm says). Where few joints are seen
    the 2D barely fixes the depth, and the weak linear pull let the body run toward the camera: on the real
    multi-person clip, cam01's man, seen by his shoulders alone in frames 84-90 and not at all in 67-83 and 91-99,
    was refined without the flow term from 3.1 m to 1.2 m away, and behind the camera at the end. Held so in every frame, the simulated
    ``mediapipe`` profile's MPJPE rose 1.9%, its depth errors being the estimate's own (benchmarks/RESULTS.md,
    sixty-second session)."""
    position_sparse_share: float = 0.5
    """A frame whose 3D confidences sum to less than this share of the joints sees few joints: its position term
    takes ``position_delta_mm``; the others ``pose3d_delta_mm``. 0: none."""
    pose3d_centre: Literal["centroid", "root"] = "centroid"
    """What L_3D's relative pose is taken about and its position terms hold: the centroid of the observed joints,
    or the skeleton's root joint (the seed's; it pulled the pelvis off the hips on real video, see
    :func:`flowpose.refinement.body_losses.pose3d_losses`)."""
    penalty: Penalty = "pseudo_huber"
    """Robust penalty of every data term (see :func:`flowpose.refinement.losses.robust_penalty`)."""
    flow_through_location: bool = False
    """Let the gradient flow through the flow's sampling location (see :func:`flowpose.refinement.objective.pose_terms`)."""
    symmetric_flow: bool = False
    """L_opt in both directions, forward and backward flow averaged (arXiv 2402.02736); the flow stage then
    keeps the backward flow it computes for the confidence (memory: one more flow field)."""
    long_range_strides: tuple[int, ...] = ()
    """Spans k > 1 of extra L_opt terms along tracks of the flow chained over k frames
    (:func:`flowpose.flow.tracks.chain_flow`): X_t against X_{t+k}, each weighted 1/k (a chain's error grows like
    sqrt(k)); () = neighbouring frames only. "Make flow pay", item 1."""
    flow_lag_band: float = 0.0
    """Motion along the flow between 1 and 1 + this times the flow's is not penalised in L_opt
    (:func:`flowpose.refinement.losses.lag_band`): optical flow moves a fast limb too little, never too much.
    0 = the plain residual."""
    flow_aware_acc: bool = False
    """Centre the acceleration prior on the image-plane acceleration the flow observed at each joint, in
    proportion to L_opt's weight there, instead of on 0 (:func:`flowpose.refinement.objective.flow_target`):
    where the flow is reliable, observed motion replaces smoothness. "Make flow pay", item 3."""
    flow_rounds: int = 2
    """Times the flow is resampled at the current projections, each followed by a solve."""
    flow_conf_floor: float = 0.3
    """Floor of the detection confidence in L_opt only, so that joints the detector missed (confidence 0,
    gap-filled) still follow the flow, the only data term that sees them."""
    optimizer: Literal["lbfgs", "adam"] = "lbfgs"
    """``"lbfgs"`` (strong-Wolfe line search) or ``"adam"``."""
    max_steps: int = 1000
    """Most optimiser iterations per flow round; a cap, rarely reached: ``tol`` ends a round first. At the
    earlier cap of 200 the flow-free fit stopped short of its minimum on two of the real set's eight
    view-person pairs, so the figures depended on where the solver was cut off; at 1,000 they are those at 2,000
    (``benchmarks/bench_real.py --max-steps``; ``benchmarks/RESULTS.md``, sixteenth session). The SMPL stage keeps
    :data:`SMPL_MAX_STEPS`."""
    lr: float = 1.0
    """L-BFGS: step-length multiplier (1 is the natural step). Adam: step size in mm."""
    tol: float = 1e-4
    """Stop a round when the total loss fell by less than this fraction over the last 10 iterations."""
    history_size: int = 20
    """L-BFGS memory (number of curvature pairs)."""

    def __post_init__(self) -> None:
        """Validate every field; raises InputError naming the field, what is allowed and what was got."""
        for name in ("w_flow", "w_3d_rel", "w_3d_abs", "w_3d_lateral", "w_contact", "w_2d", "w_vel", "w_still", "w_acc",
                     "w_bone"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise InputError(f"PoseStageConfig.{name} must be a finite weight >= 0, got {value}")
        if not 0 <= self.position_sparse_share <= 1:
            raise InputError(f"PoseStageConfig.position_sparse_share must lie in [0, 1], got {self.position_sparse_share}")
        for name in ("flow_delta_px", "keypoint_delta_px", "pose3d_delta_mm", "position_delta_mm", "contact_delta_mm", "still_px", "lr"):
            if not getattr(self, name) > 0:
                raise InputError(f"PoseStageConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.contact_flight_m is not None and not (np.isfinite(self.contact_flight_m) and self.contact_flight_m > 0):
            raise InputError("PoseStageConfig.contact_flight_m must be a height > 0 in metres, or None, got "
                             f"{self.contact_flight_m}")
        if not np.isfinite(self.contact_floor_z):
            raise InputError(f"PoseStageConfig.contact_floor_z must be a finite height in metres, got {self.contact_floor_z}")
        if not (np.isfinite(self.flow_lag_band) and self.flow_lag_band >= 0):
            raise InputError(f"PoseStageConfig.flow_lag_band must be a finite fraction >= 0, got {self.flow_lag_band}")
        for name in ("bone_samples", "max_steps"):
            if getattr(self, name) < 0:
                raise InputError(f"PoseStageConfig.{name} must be >= 0, got {getattr(self, name)}")
        if any(int(k) != k or k < 2 for k in self.long_range_strides):
            raise InputError(
                f"PoseStageConfig.long_range_strides must be integers >= 2, got {self.long_range_strides}"
            )
        if self.flow_rounds < 1 or self.history_size < 1:
            raise InputError(
                f"PoseStageConfig.flow_rounds and history_size must be >= 1, got {self.flow_rounds}, "
                f"{self.history_size}"
            )
        if self.pose3d_centre not in ("centroid", "root"):
            raise InputError(f"PoseStageConfig.pose3d_centre must be 'centroid' or 'root', got {self.pose3d_centre!r}")
        if self.optimizer not in ("lbfgs", "adam"):
            raise InputError(f"PoseStageConfig.optimizer must be 'lbfgs' or 'adam', got {self.optimizer!r}")
        if self.penalty not in ("pseudo_huber", "huber", "geman_mcclure", "l2"):
            raise InputError(
                "PoseStageConfig.penalty must be one of pseudo_huber, huber, geman_mcclure, l2; "
                f"got {self.penalty!r}"
            )
        if not 0.0 <= self.flow_conf_floor <= 1.0 or not self.tol >= 0:
            raise InputError(
                f"PoseStageConfig.flow_conf_floor must lie in [0, 1] and tol be >= 0, got "
                f"{self.flow_conf_floor}, {self.tol}"
            )
