"""The `gbcs` command: parse options, call the API, render. No decoding or checking logic here.

One module per command family; each attaches its commands to the root group in group.py.
"""
from gbcs.cli.group import main
from gbcs.cli import messages  # noqa: F401  decode, validate, sign
from gbcs.cli import fuzz  # noqa: F401  fuzz, generate
from gbcs.cli import tables  # noqa: F401  codes, alerts
from gbcs.cli import rules  # noqa: F401  rules
from gbcs.cli import duis  # noqa: F401  duis validate, sign, check
from gbcs.cli import cert  # noqa: F401  cert lint
from gbcs.cli import flow  # noqa: F401  cts run, capture analyse

__all__ = ["main"]

if __name__ == "__main__":   # python -m gbcs.cli
    main()
