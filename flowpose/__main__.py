"""``python -m flowpose``: the same as the ``flowpose`` command."""

from flowpose.cli import main

if __name__ == "__main__":
    main(prog_name="flowpose")
