"""`gbcs codes` and `gbcs alerts`: look up message codes / use cases and GBCS Table 16.2."""
from __future__ import annotations

import sys

import click

from gbcs import tables
from gbcs.cli.group import main
from gbcs.errors import NotFoundError
from gbcs.io.tables import write_records_json, write_records_text

_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                       help="text: aligned table; json: one array of records.")


def _show(records, fmt, columns, details=()):
    if fmt == "json":
        write_records_json(records, sys.stdout)
    else:
        write_records_text(records, columns, sys.stdout, details)


def _configurable_text(record) -> list[str]:
    return [f"{c['device']} {c['role']}: {', '.join(c['settings'])}" for c in record["configurable"]]


@main.command("codes")
@click.argument("queries", nargs=-1)
@_FORMAT
def codes_command(queries, fmt):
    """Look up GBCS message codes: by 4-digit hex code (0059) or use case (ECS52); all when none given.

    Shows the message type, the CRA flags the code carries, payload family, device types,
    future dating and DUIS service references. Exit status 1 when a query matches nothing."""
    try:
        records = tables.message_codes(queries)
    except NotFoundError as exc:
        raise click.ClickException(exc.message) from None
    _show(records, fmt, [("code", "CODE"), ("use_case", "USE CASE"), ("message_type", "TYPE"), ("cra", "CRA"),
                         ("payload", "PAYLOAD"), ("devices", "DEVICES"), ("future_dated", "FUTURE"),
                         ("service_refs", "DUIS"), ("title", "TITLE")],
          [("alias", "older title"), ("note", "note")])


@main.command("alerts")
@click.argument("codes", nargs=-1)
@click.option("--table", "view", type=click.Choice(["16.2", "28c"]), default="16.2", show_default=True,
              help="16.2: every event and alert code; 28c: the configurable alerts by device and role "
                   "(derived from 16.2, as SEC modification MP150 has it).")
@_FORMAT
def alerts_command(codes, view, fmt):
    """Look up GBCS event and alert codes (Table 16.2) by 4-digit hex code; all when none given.

    Exit status 1 when a code is not in the table."""
    try:
        if view == "28c":
            records = tables.alerts_28c(codes)
            _show(records, fmt, [("code", "CODE"), ("device", "DEVICE"), ("role", "ROLE"),
                                 ("settings", "SETTINGS"), ("title", "TITLE")])
            return
        records = tables.alerts(codes)
    except NotFoundError as exc:
        raise click.ClickException(exc.message) from None
    if fmt == "text":
        for r in records:
            r["configurable_text"] = _configurable_text(r)
    _show(records, fmt, [("code", "CODE"), ("payloads", "PAYLOADS"), ("message_codes", "MESSAGE CODES"),
                         ("title", "TITLE")],
          [("configurable_text", "configurable")])
