"""Worker processes on this machine that a stop (Ctrl-C, SIGTERM, SIGHUP) ends at once and cleanly.

``concurrent.futures.ProcessPoolExecutor`` alone does neither: leaving its ``with`` block waits for every
queued task, so a batch that was told to stop went on refining (and writing) every video first; and a worker
killed by the default SIGTERM action would leave its temporary output folder behind. Here the workers ignore
SIGINT (the terminal sends Ctrl-C to the whole process group; the parent decides), and turn SIGTERM into
:class:`~flowpose.io.stops.Stopped` while a task runs, so that the task's ``finally`` blocks remove what it
had begun to write. When the parent stops, for whatever reason, it cancels the queued tasks and sends each of
its workers SIGTERM.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from flowpose.errors import FlowposeError
from flowpose.io.stops import Stopped, raise_stopped

Item = TypeVar("Item")
Result = TypeVar("Result")

class WorkerLost(FlowposeError):
    """A worker process ended abruptly, and with it the pool: the tasks not yet done are lost."""


def run_in_workers(
    fn: Callable[[Item], Result], items: Sequence[Item], jobs: int, threads: int
) -> Iterator[tuple[int, Result]]:
    """``fn(item)`` for every item in ``jobs`` worker processes, yielded as ``(index, result)`` as each ends.

    Args:
        fn: a picklable function (module level) of one item.
        items: picklable arguments.
        jobs: worker processes, >= 1.
        threads: torch CPU threads in each worker.

    Yields:
        ``(k, fn(items[k]))`` in the order the tasks end. An exception of ``fn`` is raised here. When this
        generator is left early (an exception in the caller, a stop signal, ``close()``), the queued tasks are
        cancelled and the running ones stopped by SIGTERM before it returns.

    Raises:
        WorkerLost: a worker process ended abruptly (SIGKILL, as the out-of-memory killer sends); the pool is
            broken and every task not yet yielded is lost (which one was at fault cannot be told).
    """
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(threads,))
    try:
        futures = {pool.submit(_run_task, fn, item): k for k, item in enumerate(items)}
        for future in as_completed(futures):
            try:
                result = future.result()
            except BrokenProcessPool:
                raise WorkerLost(
                    "a worker process ended abruptly (killed by the system: out of memory?) while this or another "
                    "video was refined"
                ) from None
            yield futures[future], result
    except BaseException:
        for p in multiprocessing.active_children():
            if p not in before:
                p.terminate()
        # The pool reaps its workers itself (a second thread waiting on the same processes would race it).
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


def _start_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_task(fn: Callable[[Item], Result], item: Item) -> Result:
    # SIGTERM unwinds the task (its finally blocks remove its temporary outputs) and ends the worker, which
    # must not go on to a task already in its queue; between tasks the default action ends the idle worker,
    # which has nothing to clean up.
    signal.signal(signal.SIGTERM, raise_stopped)
    try:
        return fn(item)
    except Stopped as stop:
        os._exit(128 + stop.signum)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
