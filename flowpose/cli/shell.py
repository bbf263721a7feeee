"""The ``flowpose`` group and what every command shares: one-line errors and warnings, exit codes, stop signals.

Every :class:`~flowpose.errors.FlowposeError` becomes one line on stderr and exit code 2; warnings are
printed as one ``warning: ...`` line each; a usage error is one ``error: ...`` line too.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import warnings
from typing import Callable, Iterator

import click

from flowpose.errors import FlowposeError


def user_errors(fn: Callable) -> Callable:
    """Turn flowpose's own errors into ``error: <message>`` on stderr and exit code 2, without a traceback.

    Numpy overflow raises (and is reported the same way) instead of printing a RuntimeWarning and going on
    with infinities. A stop signal (SIGTERM, SIGHUP) unwinds the command, so that its temporary outputs are
    removed, and exits with 128 + the signal's number.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003 - click passes the parsed options through
        import numpy as np

        from flowpose.io.stops import Stopped, stop_signals_raise

        try:
            with _one_line_warnings(), np.errstate(over="raise"), stop_signals_raise():
                return fn(*args, **kwargs)
        except FlowposeError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
        except FloatingPointError as err:
            click.echo(f"error: numeric overflow ({err}): an input is out of range", err=True)
            sys.exit(2)
        except Stopped as stop:
            click.echo(f"error: {stop}; nothing was written", err=True)
            sys.exit(128 + stop.signum)

    return wrapper


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Show each distinct warning once, as ``warning: <message>`` on stderr (no file/line noise for users).

    ResourceWarning stays ignored, as Python has it by default: it is for developers, and a stop signal that
    interrupts an import or a read leaves a file to the garbage collector, which would warn about it.
    """
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001 - warnings API
        text = " ".join(str(message).split())
        if text not in seen:
            seen.add(text)
            click.echo(f"warning: {text}", err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.showwarning = show
        yield


class _OneLineGroup(click.Group):
    """A click group whose usage errors are one ``error: ...`` line on stderr too (exit 2), like flowpose's."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001, ANN003, ANN201 - click's signature
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as err:
            click.echo(f"error: {' '.join(err.format_message().split())}", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("error: interrupted; nothing was written", err=True)
            sys.exit(130)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_OneLineGroup)
@click.version_option(package_name="flowpose")
def main() -> None:
    """flowpose: monocular 3D human pose refined with optical flow, per video, at inference time."""


SEED = click.IntRange(0, 2**32 - 1)
