"""The `gbcs` command: parse options, call the API, render. No decoding logic lives here."""
from __future__ import annotations

import sys
from typing import Iterable, Iterator

import click

from gbcs import __version__
from gbcs.decoding import decode, is_gbt_block
from gbcs.errors import GbcsError, InputError
from gbcs.io.outputs import Result, write_json, write_jsonl, write_text

FORMATS = {"text": write_text, "json": write_json, "jsonl": write_jsonl}


def _version_text() -> str:
    from gbcs.wire.backend import BACKEND
    return f"gbcs {__version__} (backend: {BACKEND})"


def decode_inputs(inputs: Iterable[str], stdin=None) -> Iterator[Result]:
    """Read every input, decode every message in it; GBT blocks in a row are joined."""
    from gbcs.io.inputs import iter_inputs
    pending: list = []

    def flush_pending(final: bool) -> Iterator[Result]:
        if not pending:
            return
        data = b"".join(p.data for p in pending)
        source = pending[0].source if len(pending) == 1 else f"{pending[0].source}..{pending[-1].source.rsplit(':', 1)[-1]}"
        try:
            message = decode(data)
        except GbcsError as exc:
            if not final and getattr(exc, "rule", None) == "GBCS-D010":
                return          # more blocks to come
            pending.clear()
            yield Result(source, error=exc)
            return
        pending.clear()
        yield Result(source, message=message)

    for item in iter_inputs(inputs, stdin=stdin):
        if item.data is None:
            yield from flush_pending(True)
            yield Result(item.source, error=item.error or InputError("unreadable input", item.source))
            continue
        if is_gbt_block(item.data):
            if pending and pending[0].source.rsplit(":", 1)[0] != item.source.rsplit(":", 1)[0]:
                yield from flush_pending(True)
            pending.append(item)
            yield from flush_pending(False)
            continue
        yield from flush_pending(True)
        try:
            yield Result(item.source, message=decode(item.data))
        except GbcsError as exc:
            yield Result(item.source, error=exc)
    yield from flush_pending(True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", message=_version_text())
def main() -> None:
    """Decode and validate GB smart-metering GBCS messages."""


@main.command("decode")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True,
              help="text: an indented tree with offsets, hex and meanings; json: one array; "
                   "jsonl: one object per message.")
@click.argument("inputs", nargs=-1, required=True)
def decode_command(fmt: str, inputs: tuple[str, ...]) -> None:
    """Decode every GBCS message in INPUTS (files, folders, or - for stdin).

    Files may hold one message or one per line, as hex, base64 or binary; DUIS XML files are
    searched for their GBCSPayload elements. Exit status: 0 all decoded, 1 some failed.
    """
    failed = False

    def results() -> Iterator[Result]:
        nonlocal failed
        for result in decode_inputs(inputs, stdin=sys.stdin.buffer):
            failed |= not result.ok
            yield result

    FORMATS[fmt](results(), click.get_text_stream("stdout"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":   # python -m gbcs.cli
    main()
