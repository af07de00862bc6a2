"""`gbcs cts run` and `gbcs capture analyse`: the commands over flows of messages."""
from __future__ import annotations

import json
import sys
from typing import Iterator

import click

from gbcs.cli.group import main
from gbcs.cli.options import ACB_OPTION, KEYS_OPTION, load_keystore

FORMAT_CHOICE = click.Choice(["text", "json", "jsonl"])
MAX_MESSAGES_SHOWN = 500          # messages an HTML capture report draws (tree beside hex)


def _write_report(kind: str, path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise click.ClickException(f"cannot write the {kind} report to {path}: {exc.strerror or exc}") from None


def _write_reports(report: str | None, path: str | None, kept: list, html: str, junit: str) -> None:
    """The --report file: `html` and `junit` name the gbcs.io.reports functions that render it."""
    if not report:
        return
    if report == "json":
        text = json.dumps(kept, indent=2) + "\n"
    else:
        from gbcs.io import reports
        text = getattr(reports, html if report == "html" else junit)(kept)
    _write_report(report, path, text)


def _report_options(function):
    function = click.option("-o", "--output", "report_path", type=click.Path(dir_okay=False),
                            help="File the --report is written to (required with --report).")(function)
    return click.option("--report", type=click.Choice(["html", "junit", "json"]), default=None,
                        help="Also write a report: html (one self-contained page), junit (XML for CI) or "
                             "json (the records).")(function)


def _check_report(report: str | None, path: str | None) -> None:
    if report and not path:
        raise click.UsageError("--report needs -o FILE to write it to")
    if path and not report:
        raise click.UsageError("-o names the --report file; give --report html or --report junit")


@main.group("cts")
def cts_group() -> None:
    """Run Common Test Scenarios: scenario files and RTDS-layout folders."""


@cts_group.command("run")
@KEYS_OPTION
@ACB_OPTION
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="text", show_default=True,
              help="text: a verdict line per scenario; json: one array; jsonl: one record per scenario.")
@_report_options
@click.argument("paths", nargs=-1, required=True)
def cts_run(keys, acb, fmt, report, report_path, paths) -> None:
    """Run every scenario in PATHS: TOML scenario files, RTDS-layout folders
    (<use case>_<service ref>_<variant>_<KIND>_GBCS.HEX, one scenario per variant), or folders
    holding them.

    Each record has `scenario`, `verdict` (pass/fail), `steps` (kind, source, verdict, findings)
    and `findings`. Exit status: 0 when every scenario passes, 1 otherwise.
    """
    from gbcs.findings import finding
    from gbcs.flow.cts import ScenarioError, run_all
    from gbcs.io.flow_outputs import write_json, write_jsonl, write_scenarios_text
    _check_report(report, report_path)
    keystore = load_keystore(keys)
    kept: list = []
    failed = False

    def records() -> Iterator[dict]:
        nonlocal failed
        for item in run_all(paths, keystore, acb=acb):
            if isinstance(item, ScenarioError):
                record = {"scenario": item.message.split(":", 1)[0], "verdict": "fail", "steps": [],
                          "findings": [finding("GBCS-F012", item.message).to_dict()]}
            else:
                record = item.to_dict()
            failed |= record["verdict"] == "fail"
            if report:
                kept.append(item if report == "html" else record)
            yield record

    writer = {"text": write_scenarios_text, "json": write_json, "jsonl": write_jsonl}[fmt]
    writer(records(), sys.stdout)
    _write_reports(report, report_path, kept, html="cts_html", junit="junit_xml")
    sys.exit(1 if failed else 0)


@main.group("capture")
def capture_group() -> None:
    """Analyse captures: pairing, counters, duplicates, alert storms, expected alerts."""


def _ports(values: tuple[int, ...], what: str) -> frozenset[int]:
    for p in values:
        if not 0 < p < 65536:
            raise click.BadParameter(f"{p} is not a port number (1-65535)", param_hint=what)
    return frozenset(values)


@capture_group.command("analyse")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="text", show_default=True,
              help="text: findings, then a line per device; json/jsonl: flow, device and summary records.")
@click.option("--udp-port", "udp_ports", type=int, multiple=True, help="UDP port carrying GBCS (repeatable).")
@click.option("--tcp-port", "tcp_ports", type=int, multiple=True, help="TCP port carrying GBCS (repeatable).")
@click.option("--storm-window", type=click.IntRange(min=1), default=None,
              help="Seconds in which a device's alerts are counted (default from specs/flows.gbspec).")
@click.option("--storm-threshold", type=click.IntRange(min=1), default=None,
              help="More alerts than this within the window is a storm.")
@click.option("--response-timeout", type=click.IntRange(min=1), default=None,
              help="Seconds after which an unanswered command is reported.")
@_report_options
@click.argument("paths", nargs=-1, required=True)
def capture_analyse(fmt, udp_ports, tcp_ports, storm_window, storm_threshold, response_timeout,
                    report, report_path, paths) -> None:
    """Analyse the messages in PATHS (pcap/pcapng captures, hex dumps, message files, folders)
    in order as one capture.

    Records: `record: flow` (findings of topic flow about a message or device, with source,
    frame and time), `record: device` (per-device summary and alert timeline) and one
    `record: summary`. Exit status: 0 when no finding is an error, 1 otherwise.
    """
    from gbcs.flow.analyse import Analyser
    from gbcs.flow.stream import flow_messages
    from gbcs.io.captures import CaptureOptions
    from gbcs.io.flow_outputs import write_capture_text, write_json, write_jsonl
    _check_report(report, report_path)
    options = CaptureOptions(_ports(udp_ports, "--udp-port"), _ports(tcp_ports, "--tcp-port"))
    analyser = Analyser(storm_window=storm_window, storm_threshold=storm_threshold,
                        response_timeout=response_timeout)
    kept: list[dict] = []
    failed = False

    def records() -> Iterator[dict]:
        nonlocal failed
        # flows need headers and alert codes only: other payloads are left to `gbcs validate`
        stream = flow_messages(paths, capture=options, payloads="alerts")
        shown = 0
        for event in analyser.run(stream):
            record = event.to_dict()
            failed |= any(f["severity"] == "error" for f in record["findings"])
            if report == "html" and event.data is not None and shown < MAX_MESSAGES_SHOWN:
                shown += 1
                kept.append(dict(record, data=event.data.hex()))   # the page shows its tree and hex
            elif report:
                kept.append(record)
            yield record
        for summary in analyser.summaries():
            record = summary.to_dict()
            if report:
                kept.append(record)
            yield record
        record = {"record": "summary", "messages": analyser.count, "devices": len(analyser.devices),
                  "rules": dict(sorted(analyser.rule_counts.items()))}
        kept.append(record)
        yield record

    writer = {"text": write_capture_text, "json": write_json, "jsonl": write_jsonl}[fmt]
    writer(records(), sys.stdout)
    _write_reports(report, report_path, kept, html="capture_html", junit="junit_capture_xml")
    sys.exit(1 if failed else 0)
