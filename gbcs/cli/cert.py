"""`gbcs cert lint`: SMKI certificates against their profiles."""
from __future__ import annotations

import sys

import click

from gbcs.cli.group import main
from gbcs.errors import GbcsError
from gbcs.io.certificates import FORMATS


@main.group("cert")
def cert_group() -> None:
    """SMKI certificates (Device, Organisation and CA certificates)."""


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    from gbcs.smki.facts import FAMILIES
    out = []
    for v in values:
        family, sep, value = v.partition("=")
        if not sep or family not in FAMILIES or not value:
            raise click.BadParameter(f"{v!r}: write FAMILY=VALUE with FAMILY one of {', '.join(FAMILIES)}",
                                     param_hint=option)
        out.append((family, value))
    return out


@cert_group.command("lint")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text", show_default=True,
              help="text for people; json, jsonl (one record per certificate) or sarif for tools.")
@click.option("--profile", default=None, metavar="PROFILE",
              help="Force a profile: device-ds, device-ka, organisation-ds, organisation-ka, issuing-ca, root "
                   "(default: read from each certificate).")
@click.option("--ca", "cas", multiple=True, type=click.Path(exists=True),
              help="Issuing CA certificate(s) to chain to (PEM/DER file or folder). Repeatable.")
@click.option("--environment", default="test", show_default=True,
              help="PKI environment whose policy OIDs and CAs are accepted: test (the DCC test PKIs of the "
                   "samples) or none (accept only what --policy/--issuer give; production values are not "
                   "published).")
@click.option("--policy", "policies", multiple=True, metavar="FAMILY=OID",
              help="Also accept this certificate policy OID (FAMILY: device, organisation, ca). Repeatable.")
@click.option("--issuer", "issuers", multiple=True, metavar="FAMILY=CN",
              help="Also accept this issuing CA name for the family. Repeatable.")
@click.option("--select", multiple=True, help="Report only these rules, rule prefixes or topics.")
@click.option("--ignore", multiple=True, help="Do not report these rules, rule prefixes or topics.")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def lint_command(fmt, profile, cas, environment, policies, issuers, select, ignore, paths) -> None:
    """Lint the SMKI certificates in PATHS: PEM/DER files, folders of them (the RTDS keystore
    layout: <eui>-ds.pem / -ka.pem names say what each must be), or DCC Boxed keystore JSON.

    Exit status: 0 no error findings, 1 error findings, 2 usage errors.
    """
    from gbcs.smki.facts import Environment
    from gbcs.smki.profile import check_profile_name
    from gbcs.smki.sources import lint_paths
    from gbcs.validate.engine import RuleSelector
    try:
        if profile is not None:
            check_profile_name(profile)
    except GbcsError as exc:
        raise click.BadParameter(exc.message, param_hint="--profile") from None
    try:
        env = Environment.named(environment)
    except GbcsError as exc:
        raise click.BadParameter(exc.message, param_hint="--environment") from None
    env = env.extended(policies=_pairs(policies, "--policy"), issuers=_pairs(issuers, "--issuer"))
    try:
        selector = RuleSelector(select, ignore) if (select or ignore) else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--select/--ignore") from None
    results = lint_paths(paths, profile, environment=env, ca_paths=cas)
    records = []
    for r in results:
        record = r.to_dict()
        if selector is not None:
            record["findings"] = [f for f in record["findings"] if selector.wanted(f["rule"])]
        records.append(record)
    FORMATS[fmt](records, sys.stdout)
    sys.exit(1 if any(f["severity"] == "error" for rec in records for f in rec["findings"]) else 0)
