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
from gbcs.io.escape import escape_text
from gbcs.io.outputs import WRITERS, Result
from gbcs.io.stream import decode_inputs

FORMATS = {name: WRITERS[name] for name in ("text", "json", "jsonl")}          # decode
VALIDATE_FORMATS = {name: WRITERS[name] for name in ("text", "json", "jsonl", "junit", "sarif")}


def _keystore(paths: tuple[str, ...]):
    if not paths:
        return None
    from gbcs.crypto import Keystore
    try:
        ks = Keystore.load(list(paths))
    except KeystoreError as exc:
        raise click.BadParameter(escape_text(exc), param_hint="--keys") from None
    for warning in ks.warnings:
        click.echo(escape_text(f"gbcs: keystore: {warning}"), err=True)
    return ks


def _acb_option(ctx, param, value: str | None) -> str | None:
    """A malformed --acb is a usage error (exit 2), not a failure found later."""
    if value is None:
        return None
    from gbcs.crypto.keystore import normalise_eui
    try:
        normalise_eui(value)
    except KeystoreError as exc:
        raise click.BadParameter(escape_text(exc)) from None
    return value


def _checked(results: Iterable[Result], keystore, acb) -> Iterator[Result]:
    """Add signature/MAC/decryption status and what was decrypted to each decoded result."""
    from gbcs.validate import check
    for r in results:
        if r.data is None:                           # nothing was read: an input error
            yield r
            continue
        try:
            v = check(r.data, r.message, r.error, keystore, acb=acb)
        except KeystoreError as exc:
            raise click.ClickException(escape_text(exc)) from None
        if v.integrity is not None:
            r.decrypted = list(v.integrity.decrypted)
            r.details = list(v.integrity.details)
            r.extra = {"signature": v.integrity.signature, "mac": v.integrity.mac,
                       "decryption": v.integrity.decryption, "integrity": v.integrity.to_dict(nodes=True)}
        else:
            r.extra = {"signature": None, "mac": None, "decryption": None}
        yield r


def _validated(results: Iterable[Result], keystore, acb, chosen, strict: bool) -> Iterator[Result]:
    """Each result with its statuses, its outcome (verified / unverified / failed) and findings."""
    from gbcs.findings import from_error
    from gbcs.validate import Validation, check
    for r in results:
        if r.data is None:                           # nothing was read: an input error
            error = r.error or InputError("unreadable input", r.source)
            v = Validation(b"", None, error, source=r.source, findings=[from_error(error)])
            if chosen is not None:
                v.findings = [f for f in v.findings if chosen.wanted(f.rule)]
        else:
            try:
                v = check(r.data, r.message, r.error, keystore, acb=acb, selector=chosen, source=r.source)
            except KeystoreError as exc:
                raise click.ClickException(escape_text(exc)) from None
        r.extra = {"status": v.outcome(strict), "signature": v.signature, "mac": v.mac,
                   "decryption": v.decryption, "valid": v.ok}
        if v.unknown_parties:
            r.extra["unknown_parties"] = v.unknown_parties
        r.extra["findings"] = [f.to_dict() for f in v.findings]
        yield r


FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True,
    help="text: an indented tree with offsets, hex and meanings; json: one array; jsonl: one object per message.")
KEYS_OPTION = click.option(
    "--keys", "keys", multiple=True, type=click.Path(exists=True),
    help="Keystore: a folder of <eui>-ds|-ka .pem/.key files, or a DCC Boxed keystore JSON. Repeatable.")
ACB_OPTION = click.option(
    "--acb", default=None, metavar="EUI", callback=_acb_option,
    help="Access Control Broker whose KA key MACs commands (default 90B3D51F30000002).")


@main.command("decode")
@FORMAT_OPTION
@KEYS_OPTION
@ACB_OPTION
@click.argument("inputs", nargs=-1, required=True)
def decode_command(fmt: str, keys: tuple[str, ...], acb: str | None, inputs: tuple[str, ...]) -> None:
    """Decode every GBCS message in INPUTS (files, folders, or - for stdin).

    Files may hold one message or one per line, as hex, base64 or binary; DUIS XML files are
    searched for their GBCSPayload elements. With --keys, signatures and MACs are checked and
    encrypted content is decrypted. Exit status: 0 all decoded, 1 some failed.
    """
    keystore = _keystore(keys)
    failed = False

    def results() -> Iterator[Result]:
        nonlocal failed
        for result in _checked(decode_inputs(inputs), keystore, acb):
            failed |= not result.ok
            yield result

    FORMATS[fmt](results(), sys.stdout)
    sys.exit(1 if failed else 0)


def _rule_words(ctx, param, value: tuple[str, ...]) -> tuple[str, ...]:
    from gbcs.validate import RuleSelector
    try:
        RuleSelector(value if param.name == "select" else (), value if param.name == "ignore" else ())
    except ValueError as exc:
        raise click.BadParameter(escape_text(exc)) from None
    return value


@main.command("validate")
@click.option("--format", "fmt", type=click.Choice(list(VALIDATE_FORMATS)), default="text", show_default=True,
              help="text: findings and a summary; json / jsonl: records; junit: a test case per message; "
                   "sarif: SARIF 2.1.0, a result per finding.")
@KEYS_OPTION
@ACB_OPTION
@click.option("--select", multiple=True, metavar="RULES", callback=_rule_words,
              help="Report only these rules: ids (GBCS-M001), id prefixes (GBCS-M) or topics (mac); "
                   "comma-separated, repeatable. `gbcs rules` lists them.")
@click.option("--ignore", multiple=True, metavar="RULES", callback=_rule_words,
              help="Do not report these rules (ids, id prefixes or topics; comma-separated, repeatable).")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1), e.g. a message whose keys are missing.")
@click.argument("inputs", nargs=-1, required=True)
def validate_command(fmt: str, keys: tuple[str, ...], acb: str | None, select: tuple[str, ...],
                     ignore: tuple[str, ...], strict: bool, inputs: tuple[str, ...]) -> None:
    """Decode and check every GBCS message in INPUTS; report findings.

    Each message is verified (every signature, MAC and encrypted part it carries checked and
    valid), unverified (a key missing, no --keys, or nothing to check) or failed (an error
    finding; under --strict, a warning too). Records carry `status`, `signature`, `mac`,
    `decryption` (valid, invalid, absent, no-key, unchecked) and `findings` (rule, topic,
    severity, message, offset, field, reference). Text output ends with a summary.
    Exit status: 0 when no message failed, 1 otherwise, 2 for usage errors.
    """
    from gbcs.validate import FAILED, selector
    keystore = _keystore(keys)
    chosen = selector(select, ignore)
    bad = False

    def results() -> Iterator[Result]:
        nonlocal bad
        for result in _validated(decode_inputs(inputs), keystore, acb, chosen, strict):
            bad |= result.extra["status"] == FAILED
            yield result

    if fmt == "text":
        write = functools.partial(VALIDATE_FORMATS["text"], tree=False, summary=True)
    elif fmt == "junit":
        write = functools.partial(VALIDATE_FORMATS["junit"], fail_on=("error", "warning") if strict else ("error",))
    else:
        write = VALIDATE_FORMATS[fmt]
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
    keystore = _keystore(keys)
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
