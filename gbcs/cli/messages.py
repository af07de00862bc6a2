"""`gbcs decode`, `gbcs validate` and `gbcs sign`: the commands over GBCS messages."""
from __future__ import annotations

import base64
import functools
import sys
from typing import Iterable, Iterator

import click

from gbcs.decoding import decode, is_gbt_block
from gbcs.errors import EncodeError, GbcsError, InputError, KeystoreError
from gbcs.cli.group import main
from gbcs.io.outputs import Result, write_json, write_jsonl, write_text

FORMATS = {"text": write_text, "json": write_json, "jsonl": write_jsonl}


def decode_inputs(inputs: Iterable[str], stdin=None) -> Iterator[Result]:
    """Read every input, decode every message in it; GBT blocks in a row are joined."""
    from gbcs.io.inputs import iter_inputs
    return decode_items(iter_inputs(inputs, stdin=stdin))


def decode_items(items) -> Iterator[Result]:
    """Decode every InputMessage of `items`; GBT blocks in a row are joined."""
    pending: list = []

    def flush_pending(final: bool) -> Iterator[Result]:
        if not pending:
            return
        data = b"".join(p.data for p in pending)
        source = pending[0].source if len(pending) == 1 else \
            f"{pending[0].source}..{pending[-1].source.rsplit(':', 1)[-1]}"
        try:
            message = decode(data)
        except GbcsError as exc:
            if not final and getattr(exc, "rule", None) == "GBCS-D010":
                return          # more blocks to come
            pending.clear()
            yield Result(source, data=data, error=exc)
            return
        pending.clear()
        yield Result(source, message=message, data=data)

    for item in items:
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
            yield Result(item.source, message=decode(item.data), data=item.data)
        except GbcsError as exc:
            yield Result(item.source, data=item.data, error=exc)
    yield from flush_pending(True)


def _keystore(paths: tuple[str, ...]):
    if not paths:
        return None
    from gbcs.crypto import Keystore
    try:
        ks = Keystore.load(list(paths))
    except KeystoreError as exc:
        raise click.BadParameter(str(exc), param_hint="--keys") from None
    for warning in ks.warnings:
        click.echo(f"gbcs: keystore: {warning}", err=True)
    return ks


def _checked(results: Iterable[Result], keystore, acb, *, findings: bool) -> Iterator[Result]:
    """Add signature/MAC/decryption status (and findings) to each decoded result."""
    from gbcs.validate import check
    for r in results:
        if r.data is None:                           # nothing was read: an input error
            if findings:
                from gbcs.findings import from_error
                r.extra = {"signature": None, "mac": None, "decryption": None,
                           "findings": [from_error(r.error).to_dict()], "valid": False}
            yield r
            continue
        try:
            v = check(r.data, r.message, r.error, keystore, acb=acb)
        except KeystoreError as exc:
            raise click.ClickException(str(exc)) from None
        extra: dict = {}
        if v.integrity is not None:
            extra = {"signature": v.integrity.signature, "mac": v.integrity.mac,
                     "decryption": v.integrity.decryption}
            if not findings:                     # validate reports findings, not the working
                r.decrypted = list(v.integrity.decrypted)
                r.details = list(v.integrity.details)
                extra["integrity"] = v.integrity.to_dict()
        else:
            extra = {"signature": None, "mac": None, "decryption": None}
        if findings:
            extra["findings"] = [f.to_dict() for f in v.findings]
            extra["valid"] = v.ok
        r.extra = extra
        yield r


def _pipeline(keys: tuple[str, ...], acb: str | None, findings: bool):
    """What each --jobs worker runs over its chunk of inputs (gbcs.io.parallel)."""
    from gbcs.crypto import Keystore
    keystore = Keystore.load(list(keys)) if keys else None
    return lambda items: _checked(decode_items(items), keystore, acb, findings=findings)


def _results(inputs, keys, keystore, acb, jobs: int, *, findings: bool) -> Iterator[Result]:
    from gbcs.io.inputs import iter_inputs
    from gbcs.io.parallel import ordered_results, with_progress
    if jobs == 1:
        results = _checked(decode_inputs(inputs, stdin=sys.stdin.buffer), keystore, acb, findings=findings)
    else:
        results = ordered_results(iter_inputs(inputs, stdin=sys.stdin.buffer),
                                  functools.partial(_pipeline, keys, acb, findings), jobs)
    return with_progress(results)


JOBS_OPTION = click.option(
    "--jobs", "-j", type=click.IntRange(min=0), default=1, show_default=True,
    help="Worker processes (0: one per CPU). Output order and content do not change.")
FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True,
    help="text: an indented tree with offsets, hex and meanings; json: one array; jsonl: one object per message.")
KEYS_OPTION = click.option(
    "--keys", "keys", multiple=True, type=click.Path(exists=True),
    help="Keystore: a folder of <eui>-ds|-ka .pem/.key files, or a DCC Boxed keystore JSON. Repeatable.")
ACB_OPTION = click.option(
    "--acb", default=None, metavar="EUI",
    help="Access Control Broker whose KA key MACs commands (default 90B3D51F30000002).")


@main.command("decode")
@FORMAT_OPTION
@KEYS_OPTION
@ACB_OPTION
@JOBS_OPTION
@click.argument("inputs", nargs=-1, required=True)
def decode_command(fmt: str, keys: tuple[str, ...], acb: str | None, jobs: int, inputs: tuple[str, ...]) -> None:
    """Decode every GBCS message in INPUTS (files, folders, or - for stdin).

    Files may hold one message or one per line, as hex, base64 or binary; DUIS XML files are
    searched for their GBCSPayload elements. With --keys, signatures and MACs are checked and
    encrypted content is decrypted. Exit status: 0 all decoded, 1 some failed.
    """
    keystore = _keystore(keys)
    failed = False

    def results() -> Iterator[Result]:
        nonlocal failed
        for result in _results(inputs, keys, keystore, acb, jobs, findings=False):
            failed |= not result.ok
            yield result

    FORMATS[fmt](results(), sys.stdout)
    sys.exit(1 if failed else 0)


@main.command("validate")
@FORMAT_OPTION
@KEYS_OPTION
@ACB_OPTION
@JOBS_OPTION
@click.argument("inputs", nargs=-1, required=True)
def validate_command(fmt: str, keys: tuple[str, ...], acb: str | None, jobs: int, inputs: tuple[str, ...]) -> None:
    """Decode and check every GBCS message in INPUTS; report findings.

    Each record has the decode keys, `signature` and `mac` (valid, invalid, absent, no-key,
    unchecked) and `findings` (rule, topic, severity, message, offset, field). Exit status:
    0 when no finding is an error, 1 otherwise.
    """
    keystore = _keystore(keys)
    bad = False

    def results() -> Iterator[Result]:
        nonlocal bad
        for result in _results(inputs, keys, keystore, acb, jobs, findings=True):
            bad |= any(f["severity"] == "error" for f in result.extra.get("findings", ()))
            yield result

    write = functools.partial(write_text, tree=False) if fmt == "text" else FORMATS[fmt]
    write(results(), sys.stdout)
    sys.exit(1 if bad else 0)


def _encode_like(data: bytes, encoding: str) -> bytes:
    if encoding == "binary":
        return data
    if encoding in ("base64", "xml"):
        return base64.b64encode(data) + b"\n"
    return data.hex().upper().encode() + b"\n"


@main.command("sign")
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="PEM private key (the originator's digital-signature key).")
@click.argument("inputs", nargs=-1, required=True)
def sign_command(key_path: str, inputs: tuple[str, ...]) -> None:
    """Sign each pre-command in INPUTS; write the signed commands to standard output.

    Output uses the encoding of each input (hex, base64, or binary; base64 for DUIS XML).
    The private key is never printed. Exit status: 0 all signed, 1 some could not be.
    """
    from gbcs.crypto import load_private_key, sign_precommand
    from gbcs.io.inputs import iter_inputs
    try:
        key = load_private_key(key_path)
    except KeystoreError as exc:
        raise click.BadParameter(str(exc), param_hint="--key") from None
    out = sys.stdout.buffer
    failed = False
    for item in iter_inputs(inputs, stdin=sys.stdin.buffer):
        try:
            if item.data is None:
                raise item.error or InputError("unreadable input", item.source)
            message = decode(item.data)
            if message.kind != "precommand":
                raise EncodeError(f"this is a {message.kind}, not a pre-command (DF … with no signature)")
            out.write(_encode_like(sign_precommand(item.data, key), item.encoding))
        except GbcsError as exc:
            failed = True
            click.echo(f"gbcs sign: {item.source}: {exc}", err=True)
    sys.exit(1 if failed else 0)

