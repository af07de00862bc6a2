"""`gbcs duis validate | sign | check`: DUIS service requests, their signatures and their GBCS seams."""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import click

from gbcs.cli.group import main
from gbcs.cli.messages import _rule_words
from gbcs.errors import DuisError, DuisSchemaError, GbcsError, KeystoreError

FORMATS = ("text", "json", "jsonl", "junit", "sarif")

FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                             help="text: statuses and findings; json, jsonl: records; junit, sarif: for CI.")
KEYS_OPTION = click.option("--keys", "keys", multiple=True, type=click.Path(exists=True),
                           help="Trusted certificates and keys: a folder of <eui>-ds|-ka .pem/.key files or a "
                                "DCC Boxed keystore JSON. Repeatable.")


@main.group("duis")
def duis_group() -> None:
    """DUIS XML service requests, responses and alerts."""


def _keystore(keys: tuple[str, ...]):
    if not keys:
        return None
    from gbcs.crypto import Keystore
    try:
        ks = Keystore.load(list(keys))
    except KeystoreError as exc:
        raise click.BadParameter(str(exc), param_hint="--keys") from None
    for warning in ks.warnings:
        click.echo(f"gbcs: keystore: {warning}", err=True)
    return ks


def _writer(fmt: str, strict: bool = False):
    from gbcs.io.duisout import writer
    return writer(fmt, strict)


def _user_roles(values: tuple[str, ...]) -> dict[bytes, set[str]]:
    from gbcs.crypto.keystore import normalise_eui
    from gbcs.duis.variants import duis_facts
    known = duis_facts().user_roles
    out: dict[bytes, set[str]] = {}
    for value in values:
        eui, _, roles = value.partition("=")
        names = {r for r in re.split(r"[,\s]+", roles.upper()) if r}
        try:
            raw = normalise_eui(eui)
        except KeystoreError as exc:
            raise click.BadParameter(str(exc), param_hint="--user-roles") from None
        if not names or not names <= known:
            raise click.BadParameter(f"{value!r}: give EUI=ROLE[,ROLE] with roles from {' '.join(sorted(known))}",
                                     param_hint="--user-roles")
        out.setdefault(raw, set()).update(names)
    return out


@duis_group.command("validate")
@KEYS_OPTION
@click.option("--schemas", "schemas", type=click.Path(file_okay=False), default=None,
              help="Folder with DUIS_Schema_V5.4.xsd, MMC_Schema_V5.4.xsd and xmldsig-core-schema.xsd "
                   "(default: $GBCS_DUIS_SCHEMAS).")
@click.option("--user-roles", "user_roles", multiple=True, metavar="EUI=ROLES",
              help="User roles an organisation holds (e.g. 90B3D51F30010000=IS,GS), added to those its "
                   "certificates imply. Repeatable.")
@click.option("--select", multiple=True, metavar="RULES", callback=_rule_words,
              help="Report only these rules: ids, id prefixes or topics; comma-separated, repeatable.")
@click.option("--ignore", multiple=True, metavar="RULES", callback=_rule_words,
              help="Do not report these rules (ids, id prefixes or topics).")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@FORMAT_OPTION
@click.argument("inputs", nargs=-1, required=True)
def validate_command(keys, schemas, user_roles, select, ignore, strict, fmt, inputs) -> None:
    """Check DUIS documents: hardened parse, schema, structure, XML signature, rules.

    INPUTS are files, folders (their .xml files) or - for stdin. Each record has source,
    status (verified: schema and signature checked and valid; unverified: something could not
    be checked; failed), service_reference_variant, schema (valid, invalid, unchecked),
    signature (valid, invalid, absent, no-key, unchecked), signer and findings. Exit status: 0 when no finding is an error (under --strict, nor a
    warning), 1 otherwise, 2 for usage errors.
    """
    from gbcs.duis.schema import ENV_VAR, load_schema, schema_folder
    from gbcs.duis.validate import validate_many
    from gbcs.validate import selector
    write = _writer(fmt, strict)
    keystore = _keystore(keys)
    roles = _user_roles(user_roles)
    folder = schema_folder(schemas)
    schema = None
    if folder is None:
        click.echo(f"gbcs: schema not checked: give --schemas DIR or set {ENV_VAR}", err=True)
    else:
        try:
            schema = load_schema(folder)
        except DuisSchemaError as exc:
            raise click.BadParameter(exc.message, param_hint="--schemas") from None
    bad = False

    def records():
        nonlocal bad
        for result in validate_many(inputs, schema=schema, keystore=keystore, user_roles=roles,
                                    stdin=sys.stdin.buffer, selector=selector(select, ignore)):
            bad |= result.failed(strict)
            yield result.to_dict(strict)

    write(records(), sys.stdout)
    sys.exit(1 if bad else 0)


@duis_group.command("sign")
@click.option("--keys", "keys", multiple=True, required=True, type=click.Path(exists=True),
              help="Keystore holding the signer's private key and certificate. Repeatable.")
@click.option("--signer", required=True, metavar="EUI", help="The signing organisation (the RequestID originator).")
@click.option("--role", default=None, metavar="ROLE",
              help="Certificate role (OU, hex, e.g. 87 for XML signing) of the key to use.")
@click.option("-o", "--output", "output", type=click.Path(file_okay=False), default=None,
              help="Write signed files here (same names); needed when signing more than one file.")
@click.option("--keep-counter", is_flag=True, help="Keep the RequestID counter instead of setting a fresh one.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def sign_command(keys, signer, role, output, keep_counter, files) -> None:
    """Sign DUIS requests (old signatures removed, compact XML, fresh counter as DCC Boxed sets it).

    A single file goes to standard output unless -o is given. Exit status: 0 all signed, 1 not.
    """
    from gbcs.duis.signature import sign
    if len(files) > 1 and output is None:
        raise click.UsageError("signing several files needs -o DIR")
    try:
        role_code = int(role, 16) if role is not None else None
    except ValueError:
        raise click.BadParameter(f"{role!r} is not a hex role code such as 87", param_hint="--role") from None
    keystore = _keystore(keys)
    base = time.time_ns() // 10**6
    failed = False
    for i, path in enumerate(files):
        try:
            data = Path(path).read_bytes()
            signed = sign(data, keystore, signer, role=role_code, keep_counter=keep_counter, counter=base + i,
                          source=path)
        except (GbcsError, OSError) as exc:
            click.echo(f"gbcs: {path}: {getattr(exc, 'message', exc)}", err=True)
            failed = True
            continue
        if output is None:
            sys.stdout.buffer.write(signed + b"\n")
        else:
            target = Path(output) / Path(path).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(signed)
    sys.exit(1 if failed else 0)


@duis_group.command("check")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.argument("request", type=click.Path(exists=True, dir_okay=False))
@click.argument("messages", nargs=-1, required=True)
def check_command(fmt, request, messages) -> None:
    """Cross-check a DUIS REQUEST against its GBCS MESSAGES (pre-command, command, response, alerts).

    MESSAGES are files of hex, base64 or binary GBCS, or DUIS responses (their GBCSPayload
    elements). Findings are under topic duis. Exit status: 0 no error finding, 1 otherwise.
    """
    from gbcs.duis.crosscheck import GbcsItem, cross_check
    from gbcs.duis.document import read_document
    from gbcs.findings import finding
    from gbcs.io.inputs import iter_inputs
    write = _writer(fmt)
    record = {"source": request, "status": None, "service_reference_variant": None, "findings": []}
    try:
        doc = read_document(Path(request).read_bytes(), request)
    except DuisError as exc:
        record["findings"].append(finding("GBCS-U001", exc.message).to_dict())
        record["status"] = "failed"
        write([record], sys.stdout)
        sys.exit(1)
    record["service_reference_variant"] = doc.service_reference_variant
    items = []
    for item in iter_inputs(messages, stdin=sys.stdin.buffer):
        if item.data is None:
            record["findings"].append(finding("GBCS-U036", f"{item.source}: {item.error}").to_dict())
        else:
            items.append(GbcsItem(item.source, item.data))
    record["findings"].extend(f.to_dict() for f in cross_check(doc, items))
    failed = any(f["severity"] == "error" for f in record["findings"])
    record["status"] = "failed" if failed else "consistent"
    write([record], sys.stdout)
    sys.exit(1 if failed else 0)
