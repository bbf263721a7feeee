"""A batch's foresight of its workers' memory against their measured peak (flowpose.app.batch_memory).

    python benchmarks/experiments/batch_memory.py FOLDER OUT [--jobs 2] [--cycles 3]

FOLDER holds videos, each with its sidecar ``VIDEO.poses.npz`` (what ``flowpose batch FOLDER`` refines); OUT must not
hold their results yet. Prints each video's foreseen peak (:func:`flowpose.app.batch_memory.video_need`), what the batch
said of its memory, and the largest peak resident memory of its worker processes (``RUSAGE_CHILDREN``: with
``--jobs 1`` the batch runs in this process, and the figure is this process's).
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path

from flowpose.app.batch import batch_folder, read_inputs
from flowpose.app.batch_memory import video_need
from flowpose.app.refine_video import RefineVideoJob
from flowpose.config import get_preset
from flowpose.flow.registry import load_flow_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cycles", type=int, default=3)
    args = parser.parse_args()
    config = get_preset("fast")
    models = [load_flow_model(name, weights) for name, weights in zip(config.flow.names, config.flow.weights)]
    for item in read_inputs(args.folder, args.out):
        need = video_need(item.video, item.poses, config, models)
        print(f"{item.video.name}: foreseen peak {'unknown' if need is None else f'{need / 2**20:.0f} MB'}")
    rows = batch_folder(args.folder, args.out, RefineVideoJob(video=args.folder, config=config, cycles=args.cycles),
                        jobs=args.jobs, tell=print)
    print("statuses:", ", ".join(r["status"] for r in rows))
    who = resource.RUSAGE_CHILDREN if args.jobs > 1 else resource.RUSAGE_SELF
    print(f"measured peak of the largest worker: {resource.getrusage(who).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
