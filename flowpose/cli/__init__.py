"""The ``flowpose`` command: a thin click shell over the API (:mod:`flowpose.app`). No logic lives here.

One module a command (:mod:`~flowpose.cli.synth`, :mod:`~flowpose.cli.refine`, :mod:`~flowpose.cli.estimate`,
:mod:`~flowpose.cli.imports`, :mod:`~flowpose.cli.batch`, :mod:`~flowpose.cli.export`); the group and its
error handling are in :mod:`~flowpose.cli.shell`, shared options in :mod:`~flowpose.cli.options`. Every
:class:`~flowpose.errors.FlowposeError` becomes one line on stderr and exit code 2; warnings are printed as one
``warning: ...`` line each.
"""

from flowpose.cli import batch, estimate, export, imports, refine, synth  # noqa: F401 - each registers its command
from flowpose.cli.shell import main, user_errors

__all__ = ["main", "user_errors"]
