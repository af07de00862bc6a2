"""Options several commands share: keystores, the ACB, rule selection. Parsed and checked here,
so every command reports the same usage errors the same way (exit 2, escaped text)."""
from __future__ import annotations

import click

from gbcs.errors import KeystoreError
from gbcs.io.escape import escape_text


def load_keystore(paths: tuple[str, ...]):
    """The keystore of --keys (None without it); an unusable one is a usage error."""
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


def _acb(ctx, param, value: str | None) -> str | None:
    """A malformed --acb is a usage error (exit 2), not a failure found later."""
    if value is None:
        return None
    from gbcs.crypto.eui import normalise_eui
    try:
        normalise_eui(value)
    except KeystoreError as exc:
        raise click.BadParameter(escape_text(exc)) from None
    return value


def _rule_words(ctx, param, value: tuple[str, ...]) -> tuple[str, ...]:
    from gbcs.validate import RuleSelector
    try:
        RuleSelector(value if param.name == "select" else (), value if param.name == "ignore" else ())
    except ValueError as exc:
        raise click.BadParameter(escape_text(exc)) from None
    return value


KEYS_OPTION = click.option(
    "--keys", "keys", multiple=True, type=click.Path(exists=True),
    help="Keystore: a folder of <eui>-ds|-ka .pem/.key files, or a DCC Boxed keystore JSON. Repeatable.")
ACB_OPTION = click.option(
    "--acb", default=None, metavar="EUI", callback=_acb,
    help="Access Control Broker whose KA key MACs commands (default 90B3D51F30000002).")
SELECT_OPTION = click.option(
    "--select", multiple=True, metavar="RULES", callback=_rule_words,
    help="Report only these rules: ids (GBCS-M001), id prefixes (GBCS-M) or topics (mac); "
         "comma-separated, repeatable. `gbcs rules` lists them.")
IGNORE_OPTION = click.option(
    "--ignore", multiple=True, metavar="RULES", callback=_rule_words,
    help="Do not report these rules (ids, id prefixes or topics; comma-separated, repeatable).")
STRICT_OPTION = click.option(
    "--strict", is_flag=True, help="Warnings fail too (exit 1), e.g. a message whose keys are missing.")


def scheduler_option(what: str):
    return click.option("--scheduler", metavar="ADDRESS",
                        help=f"{what} on a Dask cluster: a scheduler address, or local / local:N for a local "
                             "cluster of N workers (pip install 'gbcs[dask]'). Workers must see the inputs.")


def connect_scheduler(address: str):
    """A Dask client for --scheduler; Dask missing or a bad address is a usage error."""
    try:
        import gbcs.dask
    except ImportError:
        raise click.UsageError("--scheduler needs Dask: pip install 'gbcs[dask]'") from None
    try:
        return gbcs.dask.connect(address)
    except (ValueError, OSError) as exc:
        raise click.BadParameter(escape_text(exc), param_hint="--scheduler") from None
