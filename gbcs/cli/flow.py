"""`gbcs cts run` and `gbcs capture analyse`: the commands over flows of messages."""
from __future__ import annotations

import json
import os
import sys
from typing import Iterator

import click

from gbcs.cli.group import main
from gbcs.cli.options import ACB_OPTION, KEYS_OPTION, connect_scheduler, load_keystore, scheduler_option
from gbcs.errors import GbcsError
from gbcs.io.escape import escape_text

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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "parquet"]), default="text",
              show_default=True,
              help="text: findings, then a line per device; json/jsonl: flow, device and summary records; "
                   "parquet: the messages and findings tables in the folder -o names.")
@click.option("--udp-port", "udp_ports", type=int, multiple=True, help="UDP port carrying GBCS (repeatable).")
@click.option("--tcp-port", "tcp_ports", type=int, multiple=True, help="TCP port carrying GBCS (repeatable).")
@click.option("--storm-window", type=click.IntRange(min=1), default=None,
              help="Seconds in which a device's alerts are counted (default from specs/flows.gbspec).")
@click.option("--storm-threshold", type=click.IntRange(min=1), default=None,
              help="More alerts than this within the window is a storm.")
@click.option("--response-timeout", type=click.IntRange(min=1), default=None,
              help="Seconds after which an unanswered command is reported.")
@scheduler_option("Analyse the capture split by device")
@click.option("--report", type=click.Choice(["html", "junit", "json"]), default=None,
              help="Also write a report: html (one self-contained page), junit (XML for CI) or json (the records).")
@click.option("-o", "--output", "report_path", type=click.Path(),
              help="The --report file, or with --format parquet the dataset folder (messages/ and findings/).")
@click.argument("paths", nargs=-1, required=True)
def capture_analyse(fmt, udp_ports, tcp_ports, storm_window, storm_threshold, response_timeout, scheduler,
                    report, report_path, paths) -> None:
    """Analyse the messages in PATHS (pcap/pcapng captures, hex dumps, message files, folders)
    in order as one capture.

    Records: `record: flow` (findings of topic flow about a message or device, with source,
    frame and time), `record: device` (per-device summary and alert timeline) and one
    `record: summary`. With --scheduler the capture is split by device over a Dask cluster and
    gives the same records in the same order. Exit status: 0 when no finding is an error, 1 otherwise.
    """
    from gbcs.io.captures import CaptureOptions
    from gbcs.io.flow_outputs import write_capture_text, write_json, write_jsonl
    if fmt == "parquet":
        if report:
            raise click.UsageError("-o names either the --report file or the --format parquet folder: run twice")
        if not report_path:
            raise click.UsageError("--format parquet writes a dataset folder: give it with -o DIR")
        try:
            _check_dataset(report_path)
        except GbcsError as exc:
            raise click.UsageError(escape_text(exc)) from None
    else:
        _check_report(report, report_path)
    if scheduler and "-" in paths:
        raise click.UsageError("standard input cannot be spread over a cluster: give files or folders")
    options = CaptureOptions(_ports(udp_ports, "--udp-port"), _ports(tcp_ports, "--tcp-port"))
    settings = {"storm_window": storm_window, "storm_threshold": storm_threshold,
                "response_timeout": response_timeout}
    messages_out = os.path.join(report_path, "messages") if fmt == "parquet" else None
    kept: list[dict] = []
    failed = False

    def records() -> Iterator[dict]:
        nonlocal failed
        if scheduler:
            run = _cluster_analysis(scheduler, paths, options, settings, keep_data=report == "html",
                                    messages_out=messages_out)
        else:
            run = _LocalRun(paths, options, settings, messages_out)
        shown = 0
        for event in run.events:
            record = event.to_dict()
            failed |= any(f["severity"] == "error" for f in record["findings"])
            if report == "html" and event.data is not None and shown < MAX_MESSAGES_SHOWN:
                shown += 1
                kept.append(dict(record, data=event.data.hex()))   # the page shows its tree and hex
            elif report:
                kept.append(record)
            yield record
        for summary in run.summaries:
            record = summary.to_dict()
            if report:
                kept.append(record)
            yield record
        record = {"record": "summary", "messages": run.count, "devices": len(run.summaries),
                  "rules": dict(sorted(run.rule_counts.items()))}
        kept.append(record)
        yield record

    if fmt == "parquet":
        _checked(_write_capture_parquet, records(), report_path, sys.stdout)
    else:
        writer = {"text": write_capture_text, "json": write_json, "jsonl": write_jsonl}[fmt]
        writer(records(), sys.stdout)
        _write_reports(report, report_path, kept, html="capture_html", junit="junit_capture_xml")
    sys.exit(1 if failed else 0)


def _checked(function, *args):
    try:
        return function(*args)
    except GbcsError as exc:
        raise click.ClickException(escape_text(exc)) from None


def _check_dataset(path: str) -> None:
    from gbcs.io.parquet import check_new_dataset
    check_new_dataset(path)


class _LocalRun:
    """One process over the whole capture: events stream out as the messages are read."""

    def __init__(self, paths, options, settings: dict, messages_out: str | None) -> None:
        from gbcs.flow.analyse import Analyser
        self.analyser = Analyser(**settings)
        self.paths, self.options, self.messages_out = paths, options, messages_out

    @property
    def events(self):
        from gbcs.flow.analyse import observe
        from gbcs.flow.stream import flow_messages
        table = None
        if self.messages_out is not None:
            from gbcs.io.parquet import FLOW_MESSAGE_COLUMNS, PartWriter
            table = PartWriter(self.messages_out, FLOW_MESSAGE_COLUMNS)
        # flows need headers and alert codes only: other payloads are left to `gbcs validate`
        for i, fm in enumerate(flow_messages(self.paths, capture=self.options, payloads="alerts")):
            obs = observe(fm, i)
            if table is not None:
                from gbcs.io.parquet import flow_message_row
                table.add([flow_message_row(obs)])
            yield from self.analyser.observe(obs)
        yield from self.analyser.finish()
        if table is not None:
            table.close()

    @property
    def summaries(self):
        return self.analyser.summaries()

    @property
    def count(self) -> int:
        return self.analyser.count

    @property
    def rule_counts(self):
        return self.analyser.rule_counts


def _cluster_analysis(address: str, paths, options, settings: dict, keep_data: bool, messages_out: str | None):
    from gbcs.dask.flows import analyse
    from gbcs.io.parquet import FLOW_MESSAGE_COLUMNS, PartWriter
    with connect_scheduler(address) as client:
        run = _checked(lambda: analyse(list(paths), client=client, capture=options, keep_data=keep_data,
                                       messages_out=messages_out and os.path.abspath(messages_out), **settings))
    if messages_out is not None and not os.path.isdir(messages_out):
        PartWriter(messages_out, FLOW_MESSAGE_COLUMNS).close()       # no input: an empty table
    return run


def _write_capture_parquet(records: Iterator[dict], path: str, out) -> None:
    """The findings table from the records (the messages table is written as they are read);
    the run's summary line on standard output."""
    from gbcs.io.flow_outputs import write_capture_text
    from gbcs.io.parquet import FLOW_FINDING_COLUMNS, PartWriter, flow_finding_rows
    table = PartWriter(os.path.join(path, "findings"), FLOW_FINDING_COLUMNS)
    summary = []
    for record in records:
        if record["record"] == "flow":
            table.add(flow_finding_rows(record))
        elif record["record"] == "summary":
            summary.append(record)
    table.close()
    out.write(f"wrote {path}/messages and {path}/findings\n")
    write_capture_text(summary, out)
