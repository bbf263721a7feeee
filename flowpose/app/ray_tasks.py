"""Tasks on a Ray cluster (the optional extra ``flowpose[cluster]``) that a stop ends cleanly.

``ray.init`` puts its own handlers on the stop signals (for SIGTERM a crash report and an abort), and an
exception raised by a Python signal handler inside Ray's compiled ``ray.get`` comes out as a ``SystemError``.
So the driver puts the run's own handlers back after ``ray.init``, and while it waits for the tasks a stop
signal is only noted; the wait polls for it every :data:`POLL_S` seconds, cancels the tasks (each gets a
KeyboardInterrupt, so its ``finally`` blocks remove what it had begun to write), gives them
:data:`CANCEL_WAIT_S` seconds to unwind, and raises :class:`~flowpose.io.stops.Stopped` (or
KeyboardInterrupt for SIGINT) itself. Ray's cancel is best-effort: its log can say a running task was cancelled
while the task goes on (seen in this project's test suite, one run in three, under load), so a task still running
after :data:`CANCEL_WAIT_S` is ended by force (its worker killed, its ``finally`` blocks not run) and what it had
begun is the caller's to remove (``batch``: :func:`flowpose.io.outdir.remove_temporary_folders`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from flowpose.errors import InputError
from flowpose.io.stops import STOP_SIGNALS, Stopped, stop_signals_handled

Item = TypeVar("Item")
Result = TypeVar("Result")

POLL_S = 0.5
"""How often the driver looks for a stop signal while it waits for the tasks, seconds."""
CANCEL_WAIT_S = 10.0
"""How long a stopped driver gives the cancelled tasks to unwind, seconds."""
KILL_WAIT_S = 10.0
"""How long a stopped driver then waits for the tasks it ended by force, seconds."""
_STOPS = (signal.SIGINT, *STOP_SIGNALS)


def connect_ray(address: str) -> None:
    """Join the Ray cluster at ``address``, or start a one-machine one for ``"local"``; does nothing when
    Ray is already initialised.

    Raises:
        InputError: Ray is not installed, or no cluster answered at ``address``.
    """
    try:
        import ray
    except ImportError:
        raise InputError('--ray needs Ray: pip install "flowpose[cluster]"') from None
    if ray.is_initialized():
        return
    main = threading.current_thread() is threading.main_thread()
    handlers = {s: signal.getsignal(s) for s in _STOPS} if main else {}
    try:
        # "local": a one-machine Ray cluster started here (Ray 2.x no longer has a serial local mode).
        ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, TimeoutError, ValueError, RuntimeError) as e:
        # ConnectionError: nothing answered; ValueError: a ray:// address without Ray Client, or a malformed one.
        message = " ".join(str(e).split())
        raise InputError(f"--ray {address}: no Ray cluster reached ({type(e).__name__}: {message})") from None
    finally:
        for s, handler in handlers.items():
            if handler is not None:  # None: not set from Python, cannot be put back
                signal.signal(s, handler)


def run_on_ray(
    fn: Callable[[Item], Result],
    items: Sequence[Item],
    address: str,
    on_error: Callable[[Item, Exception], Result],
) -> Iterator[tuple[int, Result]]:
    """``fn(item)`` for every item as a task on the Ray cluster at ``address``, yielded as ``(index, result)``
    as each ends (module docstring for a stop).

    Args:
        fn: a picklable function of one item.
        items: picklable arguments.
        address: as :func:`connect_ray` takes it.
        on_error: the result of a task Ray could not finish (its worker crashed or was killed for memory, the
            node died, ``fn`` raised): ``on_error(item, the RayError)``; the other tasks go on.
    """
    import ray

    connect_ray(address)
    remote = ray.remote(_call)  # a plain function: ray.remote takes no functools.partial
    refs = [remote.remote(fn, item) for item in items]
    index = {ref: k for k, ref in enumerate(refs)}
    pending = list(refs)
    with _stops_noted() as stops:
        while pending:
            if stops:
                for ref in pending:
                    ray.cancel(ref)
                _, pending = ray.wait(pending, num_returns=len(pending), timeout=CANCEL_WAIT_S)
                for ref in pending:  # the interrupt lost (module docstring): end the task
                    ray.cancel(ref, force=True)
                if pending:
                    ray.wait(pending, num_returns=len(pending), timeout=KILL_WAIT_S)
                if stops[0] == signal.SIGINT:
                    raise KeyboardInterrupt
                raise Stopped(stops[0])
            ready, pending = ray.wait(pending, num_returns=len(pending), timeout=POLL_S)
            for ref in ready:
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as e:
                    result = on_error(items[index[ref]], e)
                yield index[ref], result


def _call(fn: Callable[[Item], Result], item: Item) -> Result:
    return fn(item)


@contextlib.contextmanager
def _stops_noted() -> Iterator[list[int]]:
    """Within the block, SIGINT and the stop signals append their number to the list yielded instead of raising
    (in the main thread; elsewhere Python allows no handlers and the list stays empty)."""
    stops: list[int] = []
    with stop_signals_handled(lambda signum, frame: stops.append(signum), _STOPS):
        yield stops
