"""Registry of the optical-flow networks flowpose can build, by name (a plain dict, STYLE avoid #3).

Each entry builds the architecture with random weights; load released weights with
:func:`flowpose.flow.checkpoint.load_flow_checkpoint`.
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from flowpose.flow.gma import gma
from flowpose.flow.raft import raft_large, raft_small

FLOW_NETWORKS: dict[str, Callable[[], nn.Module]] = {"raft": raft_large, "raft-small": raft_small, "gma": gma}
"""``name -> builder``: ``"raft"`` (RAFT large, raft-things/sintel.pth), ``"raft-small"`` (raft-small.pth),
``"gma"`` (gma-things/sintel.pth)."""
