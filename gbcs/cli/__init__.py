"""The `gbcs` command: parse options, call the API, render. No decoding or checking logic here.

One module per command family; each attaches its commands to the root group in group.py.
"""
from gbcs.cli.group import main
from gbcs.cli import messages  # noqa: F401  decode, validate, sign
from gbcs.cli import fuzz  # noqa: F401  fuzz, generate
from gbcs.cli import cert  # noqa: F401  cert lint

__all__ = ["main"]

if __name__ == "__main__":   # python -m gbcs.cli
    main()
