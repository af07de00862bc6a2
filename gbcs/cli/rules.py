"""`gbcs rules`: every rule gbcs reports, from specs/rules.gbspec."""
from __future__ import annotations

import json
import sys

import click

from gbcs.cli.group import main
from gbcs.io.escape import escape_text


def _topic(ctx, param, value: str | None) -> str | None:
    from gbcs.rules import topics
    if value is not None and value.lower() not in topics():
        raise click.BadParameter(f"{value!r} is not a topic; topics: {', '.join(topics())}")
    return value.lower() if value else None


@main.command("rules")
@click.option("--topic", default=None, callback=_topic, metavar="TOPIC",
              help="Only the rules of one topic (decode, envelope, payload, alert, precision, signature, "
                   "mac, decryption, certificate, duis, flow).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(topic: str | None, fmt: str) -> None:
    """Document every rule: id, name, topic, severity, summary and the specification reference.

    The ids and topics are what `gbcs validate --select/--ignore` take.
    """
    from gbcs.rules import rules
    chosen = [r for r in rules().values() if topic is None or r.topic == topic]
    if fmt == "json":
        json.dump([r.to_dict() for r in chosen], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for r in chosen:
        reference = f"  [{r.reference}]" if r.reference else ""
        click.echo(escape_text(f"{r.id}  {r.name:<28} {r.topic:<11} {r.severity:<8} {r.summary}{reference}"))
