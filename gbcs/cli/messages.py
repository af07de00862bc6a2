"""`gbcs decode`, `gbcs validate` and `gbcs sign`: the commands over GBCS messages."""
from __future__ import annotations

import base64
import functools
import sys
from typing import Iterable, Iterator

import click

from gbcs.decoding import decode
from gbcs.errors import EncodeError, GbcsError, InputError, KeystoreError
from gbcs.cli.group import main
from gbcs.cli.options import (ACB_OPTION, IGNORE_OPTION, KEYS_OPTION, SELECT_OPTION, STRICT_OPTION,
                              connect_scheduler, load_keystore)
from gbcs.io.escape import escape_text
from gbcs.io.outputs import WRITERS, Result
from gbcs.io.records import record_of, validated
from gbcs.io.stream import decode_inputs, read_ahead

FORMATS = {name: WRITERS[name] for name in ("text", "json", "jsonl")}          # decode
VALIDATE_FORMATS = {name: WRITERS[name] for name in ("text", "json", "jsonl", "junit", "sarif")}


def _checked(results: Iterable[Result], keystore, acb) -> Iterator[Result]:
    """Add signature/MAC/decryption status and what was decrypted to each decoded result
    (the integrity checks only: decode reports no rule findings, so it runs no rule checks)."""
    from gbcs.validate.engine import integrity_of
    for r in results:
        if r.data is None:                           # nothing was read: an input error
            yield r
            continue
        try:
            integrity, _ = integrity_of(r.data, r.message, keystore, acb=acb, decode_failed=r.error is not None)
        except KeystoreError as exc:
            raise click.ClickException(escape_text(exc)) from None
        if integrity is not None:
            r.decrypted = list(integrity.decrypted)
            r.details = list(integrity.details)
            r.extra = {"signature": integrity.signature, "mac": integrity.mac,
                       "decryption": integrity.decryption, "integrity": integrity.to_dict(nodes=True)}
        else:
            r.extra = {"signature": None, "mac": None, "decryption": None}
        yield r


def _pipeline(keys: tuple[str, ...], acb: str | None, validate: tuple | None, records: bool = False):
    """What each --jobs worker runs over its chunk of inputs (gbcs.io.parallel). With `records`,
    it sends back the tree-less records the output needs instead of whole Results (trees are
    the bulk of what crosses between processes)."""
    from gbcs.crypto import Keystore
    from gbcs.io.stream import decode_items
    keystore = Keystore.load(list(keys)) if keys else None
    if records:
        return lambda items: [record_of(r, with_tree=False) for r in _checks(decode_items(items), keystore, acb,
                                                                              validate)]
    return lambda items: _checks(decode_items(items), keystore, acb, validate)


def _checks(results: Iterable[Result], keystore, acb, validate: tuple | None) -> Iterator[Result]:
    """decode's integrity statuses, or validate's findings when `validate` = (select, ignore, strict)."""
    if validate is None:
        return _checked(results, keystore, acb)
    from gbcs.validate import selector
    select, ignore, strict = validate
    return validated(results, keystore, acb, selector(select, ignore), strict)


def _results(inputs, keys, keystore, acb, jobs: int, *, validate: tuple | None = None,
             records: bool = False) -> Iterator[Result | dict]:
    """The checked results of every input, in order; `records`: tree-less record dicts instead
    (what json/jsonl --no-tree, junit, sarif and parquet write)."""
    from gbcs.io.inputs import iter_inputs
    from gbcs.io.parallel import ordered_results, with_progress
    if jobs == 1:
        decoded = decode_inputs(inputs)
        if validate is not None and "-" not in inputs:      # standard input may be a live feed: no waiting
            decoded = read_ahead(decoded)
        results = _checks(decoded, keystore, acb, validate)
        if records:
            results = (record_of(r, with_tree=False) for r in results)
    else:
        results = ordered_results(iter_inputs(inputs), functools.partial(_pipeline, keys, acb, validate, records),
                                  jobs)
    return with_progress(results)


JOBS_OPTION = click.option(
    "--jobs", "-j", type=click.IntRange(min=0), default=1, show_default=True,
    help="Worker processes (0: one per CPU). Output order and content do not change.")
FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True,
    help="text: an indented tree with offsets, hex and meanings; json: one array; jsonl: one object per message.")


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
    keystore = load_keystore(keys)
    failed = False

    def results() -> Iterator[Result]:
        nonlocal failed
        for result in _results(inputs, keys, keystore, acb, jobs):
            failed |= not result.ok
            yield result

    FORMATS[fmt](results(), sys.stdout)
    sys.exit(1 if failed else 0)


@main.command("validate")
@click.option("--format", "fmt", type=click.Choice([*VALIDATE_FORMATS, "parquet"]), default="text", show_default=True,
              help="text: findings and a summary; json / jsonl: records; junit: a test case per message; "
                   "sarif: SARIF 2.1.0, a result per finding; parquet: message and finding tables (-o DIR).")
@KEYS_OPTION
@ACB_OPTION
@SELECT_OPTION
@IGNORE_OPTION
@STRICT_OPTION
@JOBS_OPTION
@click.option("--scheduler", metavar="ADDRESS",
              help="Spread the work over a Dask cluster: a scheduler address, or local / local:N for a local "
                   "cluster of N workers (pip install 'gbcs[dask]'). Workers must see the inputs and --keys.")
@click.option("-o", "--output", type=click.Path(file_okay=False), metavar="DIR",
              help="With --format parquet: the dataset folder to write (messages/ and findings/ tables).")
@click.option("--tree/--no-tree", default=True, show_default=True,
              help="json / jsonl: include each message's decoded tree in its record (--no-tree: statuses and "
                   "findings only, much smaller and faster).")
@click.argument("inputs", nargs=-1, required=True)
def validate_command(fmt: str, keys: tuple[str, ...], acb: str | None, select: tuple[str, ...],
                     ignore: tuple[str, ...], strict: bool, jobs: int, scheduler: str | None, output: str | None,
                     tree: bool, inputs: tuple[str, ...]) -> None:
    """Decode and check every GBCS message in INPUTS; report findings.

    Each message is verified (every signature, MAC and encrypted part it carries checked and
    valid), unverified (a key missing, no --keys, or nothing to check) or failed (an error
    finding; under --strict, a warning too). Records carry `status`, `signature`, `mac`,
    `decryption` (valid, invalid, absent, no-key, unchecked) and `findings` (rule, topic,
    severity, message, offset, field, reference). Text output ends with a summary.
    Exit status: 0 when no message failed, 1 otherwise, 2 for usage errors.
    """
    from gbcs.validate import FAILED
    if fmt == "parquet" and not output:
        raise click.UsageError("--format parquet writes a dataset folder: give it with -o DIR")
    if scheduler and "-" in inputs:
        raise click.UsageError("standard input cannot be spread over a cluster: give files or folders")
    keystore = load_keystore(keys)
    bad = False

    def results() -> Iterator[Result | dict]:
        nonlocal bad
        try:
            if scheduler:
                for record in _cluster_records(scheduler, inputs, keys, acb, select, ignore, strict,
                                               with_tree=tree and fmt in ("json", "jsonl")):
                    bad |= record["status"] == FAILED
                    yield record
                return
            # the formats that write tree-less records get them as such (smaller between --jobs workers)
            records = fmt in ("junit", "sarif", "parquet") or (fmt in ("json", "jsonl") and not tree)
            for result in _results(inputs, keys, keystore, acb, jobs, validate=(select, ignore, strict),
                                   records=records):
                bad |= (result["status"] if records else result.extra["status"]) == FAILED
                yield result
        except KeystoreError as exc:
            raise click.ClickException(escape_text(exc)) from None

    if fmt == "parquet":
        write = functools.partial(_write_parquet, path=output)
    elif fmt == "text":
        write = functools.partial(VALIDATE_FORMATS["text"], tree=False, summary=True)
    elif fmt == "junit":
        write = functools.partial(VALIDATE_FORMATS["junit"], fail_on=("error", "warning") if strict else ("error",))
    else:
        write = VALIDATE_FORMATS[fmt]
    write(results(), sys.stdout)
    sys.exit(1 if bad else 0)


def _cluster_records(address: str, inputs, keys, acb, select, ignore, strict: bool, with_tree: bool) -> Iterator[dict]:
    import gbcs.dask
    with connect_scheduler(address) as client:
        yield from gbcs.dask.stream(client, list(inputs), keystore=keys or None, acb=acb, select=select,
                                    ignore=ignore, strict=strict, with_tree=with_tree)


def _write_parquet(items, out, path: str) -> None:
    """The records as a Parquet dataset; the run's summary on standard output."""
    from gbcs.io.parquet import write_parquet
    from gbcs.io.text import Summary
    counts = Summary()
    try:
        for record in write_parquet((record_of(i, with_tree=False) for i in items), path):
            counts.add(record)
    except GbcsError as exc:
        raise click.ClickException(escape_text(exc)) from None
    out.write(f"wrote {path}/messages and {path}/findings\n" + "\n".join(counts.lines()) + "\n")


def _encode_like(data: bytes, encoding: str) -> bytes:
    if encoding == "binary":
        return data
    if encoding in ("base64", "xml"):
        return base64.b64encode(data) + b"\n"
    return data.hex().upper().encode() + b"\n"


@main.command("sign")
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="PEM private key (the originator's digital-signature key).")
@KEYS_OPTION
@click.option("--force", is_flag=True,
              help="Sign even when the keystore shows the key is not the originator's.")
@click.argument("inputs", nargs=-1, required=True)
def sign_command(key_path: str, keys: tuple[str, ...], force: bool, inputs: tuple[str, ...]) -> None:
    """Sign each pre-command in INPUTS; write the signed commands to standard output.

    Output uses the encoding of each input (hex, base64, or binary; base64 for DUIS XML). With
    several messages, each is preceded by a `# source: INPUT` line (binary ones are written as
    hex), which gbcs reads back as a comment. With --keys, a key that is not one of the
    originator's DS keys there is refused (--force signs anyway). The private key is never
    printed. Exit status: 0 all signed, 1 some could not be, 2 usage errors.
    """
    from gbcs.crypto import load_private_key, sign_precommand
    from gbcs.crypto.keystore import public_point
    from gbcs.io.inputs import iter_inputs
    try:
        key = load_private_key(key_path)
    except KeystoreError as exc:
        raise click.BadParameter(escape_text(exc), param_hint="--key") from None
    keystore = load_keystore(keys)
    point = public_point(key.public_key())
    out = sys.stdout.buffer
    failed = False
    items = iter_inputs(inputs)
    first = next(items, None)
    second = next(items, None)
    several = second is not None
    pending = [i for i in (first, second) if i is not None]
    for item in (*pending, *items):
        try:
            if item.data is None:
                raise item.error or InputError("unreadable input", item.source)
            message = decode(item.data)
            if message.kind != "precommand":
                raise EncodeError(f"this is a {message.kind}, not a pre-command (DF … with no signature)")
            _check_signer(keystore, message.originator, point, force)
            signed = sign_precommand(item.data, key)
            if several:
                out.write(f"# source: {escape_text(item.source)}\n".encode())
            out.write(_encode_like(signed, "hex" if several and item.encoding == "binary" else item.encoding))
        except GbcsError as exc:
            failed = True
            click.echo(escape_text(f"gbcs sign: {item.source}: {exc}"), err=True)
    sys.exit(1 if failed else 0)


def _check_signer(keystore, originator: bytes | None, point: bytes, force: bool) -> None:
    """Refuse a key that the keystore shows is not one of the originator's DS keys."""
    from gbcs.crypto.keystore import public_point
    if keystore is None or originator is None:
        return
    known = keystore.public_entries(originator, "ds")
    if not known or any(public_point(e.public_key) == point for e in known):
        return
    who = originator.hex().upper()
    if force:
        click.echo(f"gbcs sign: warning: the key is not one of the {len(known)} DS key(s) the keystore holds "
                   f"for the originator {who}; signing anyway (--force)", err=True)
        return
    raise EncodeError(f"the key does not belong to the originator {who}: the keystore holds {len(known)} "
                      f"other DS key(s) for it ({', '.join(e.describe() for e in known)}); use the "
                      "originator's key, or --force to sign anyway")
