"""The root `gbcs` click group. Command modules (one per command family) attach to it."""
from __future__ import annotations

import click

from gbcs import __version__


def _version_text() -> str:
    from gbcs.backend import describe
    return f"gbcs {__version__} (backend: {describe()})"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", message=_version_text())
def main() -> None:
    """Decode and validate GB smart-metering GBCS messages."""
