"""Reports of a run: JUnit XML (one test case per step) and one self-contained HTML page.

The HTML page needs no network: styles are inline, the timeline is inline SVG, and there is no
script. Everything taken from inputs (names, sources, field values, finding texts) is escaped.
"""
from __future__ import annotations

import html
import math
import os
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Iterable

from gbcs.io.flow_outputs import safe
from gbcs.message import Node

HEX_PER_LINE = 16
MAX_TIMELINE_DEVICES = 40
MAX_EVENTS_SHOWN = 2000


# -- JUnit -----------------------------------------------------------------------------------

def _failure_text(findings: list[dict]) -> str:
    return "\n".join(f"{f['severity'].upper()} {f['rule']}"
                     + (f" at offset {f['offset']}" if f.get("offset") is not None else "")
                     + f": {safe(f['message'])}" for f in findings)


def junit_xml(records: Iterable[dict], suite: str = "gbcs cts") -> str:
    """One <testsuite> per scenario, one <testcase> per step (and one for the flow checks)."""
    root = ET.Element("testsuites", name=suite)
    total = failures = 0
    for r in records:
        cases = [(f"{i}. {s['kind']} {safe(os.path.basename(s['source']))}", s["findings"], s["verdict"])
                 for i, s in enumerate(r["steps"], 1)]
        cases.append(("flow checks", r["findings"], "fail" if any(f["severity"] == "error" for f in r["findings"])
                      else "pass"))
        bad = sum(v == "fail" for _, _, v in cases)
        ts = ET.SubElement(root, "testsuite", name=safe(r["scenario"]), tests=str(len(cases)), failures=str(bad),
                           errors="0")
        for name, findings, verdict in cases:
            tc = ET.SubElement(ts, "testcase", classname=safe(r["scenario"]), name=name)
            errors = [f for f in findings if f["severity"] == "error"]
            if verdict == "fail":
                first = errors[0] if errors else findings[0]
                fail = ET.SubElement(tc, "failure", message=safe(first["message"])[:500], type=first["rule"])
                fail.text = _failure_text(errors or findings)
            elif findings:
                out = ET.SubElement(tc, "system-out")
                out.text = _failure_text(findings)
        total, failures = total + len(cases), failures + bad
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def junit_capture_xml(records: Iterable[dict]) -> str:
    """Capture analysis as JUnit: one test case per device, failed when a finding about it is an error."""
    by_device: dict[str, list[dict]] = {}
    devices: list[str] = []
    for r in records:
        if r.get("record") == "flow":
            by_device.setdefault(r.get("device") or "(no device)", []).extend(r["findings"])
        elif r.get("record") == "device":
            devices.append(r["device"])
    for d in by_device:
        if d not in devices:
            devices.append(d)
    root = ET.Element("testsuites", name="gbcs capture")
    ts = ET.SubElement(root, "testsuite", name="capture analysis", tests=str(len(devices)), errors="0")
    bad = 0
    for d in devices:
        tc = ET.SubElement(ts, "testcase", classname="capture", name=safe(d))
        findings = by_device.get(d, [])
        errors = [f for f in findings if f["severity"] == "error"]
        if errors:
            bad += 1
            fail = ET.SubElement(tc, "failure", message=safe(errors[0]["message"])[:500], type=errors[0]["rule"])
            fail.text = _failure_text(errors)
        elif findings:
            ET.SubElement(tc, "system-out").text = _failure_text(findings)
    ts.set("failures", str(bad))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- HTML pieces -------------------------------------------------------------------------------

def _e(text: object) -> str:
    return html.escape(safe(text), quote=True)


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}
tr.fail td.verdict,.fail>.verdict,span.fail{color:#b00020;font-weight:bold}
tr.pass td.verdict,span.pass{color:#1b7f3b;font-weight:bold}
tr.pass td.verdict.warning{color:#9a6700}tr.pass td.verdict.info{color:#555}
.message{display:flex;gap:1.5em;align-items:flex-start}
.tree{font:12px/1.3 monospace;max-width:50%;overflow:auto}
.tree ul{list-style:none;margin:0;padding-left:1.1em}
pre.hex{font:12px/1.3 monospace;margin:0}
mark{background:#ffd54f}mark.error{background:#ff8a80}mark.info{background:#b3e5fc}
.findings li.error{color:#b00020}.findings li.warning{color:#9a6700}.findings li.info{color:#555}
details{margin:.3em 0}summary{cursor:pointer}
svg text{font:11px sans-serif}
"""


def _page(title: str, body: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            f"<h1>{_e(title)}</h1>\n<p class=\"generated\">Generated {stamp} by gbcs.</p>\n{body}\n</body></html>\n")


def _findings_list(findings: list[dict]) -> str:
    if not findings:
        return ""
    items = "".join(f'<li class="{_e(f["severity"])}"><b>{_e(f["rule"])}</b> {_e(f["severity"])}'
                    + (f" at offset {int(f['offset'])}" if f.get("offset") is not None else "")
                    + (f" in <code>{_e(f['field'])}</code>" if f.get("field") else "")
                    + f": {_e(f['message'])}</li>" for f in findings)
    return f'<ul class="findings">{items}</ul>'


def _tree_html(node: Node) -> str:
    label = f"{node.start:05X} {node.name}"
    if node.is_leaf:
        value = node.value
        shown = value.hex(" ").upper() if isinstance(value, (bytes, bytearray)) else value
        text = f"{label} = {shown}" + (f" ({node.meaning})" if node.meaning else "")
        if len(text) > 160:
            text = text[:157] + "…"
        return f"<li>{_e(text)}</li>"
    inner = "".join(_tree_html(c) for c in node.children or ())
    meaning = f" ({node.meaning})" if node.meaning else ""
    return f"<li>{_e(label + meaning)} [{node.end - node.start} bytes]<ul>{inner}</ul></li>"


def _highlight_ranges(root: Node | None, findings: list[dict], size: int) -> list[tuple[int, int, str, str]]:
    """(start, end, severity, text) byte ranges the findings point at."""
    out = []
    for f in findings:
        start, field = f.get("offset"), f.get("field")
        if start is None and not field:
            continue
        node = None
        if root is not None:
            for path, n in root.walk():
                if field and (path == field or path.endswith("." + field)) and (start is None or n.start == start):
                    node = n
                    break
            if node is None and start is not None:
                for _, n in root.walk():
                    if n.start <= start < n.end:
                        node = n                              # the deepest node holding the offset
        if node is not None:
            lo, hi = node.start, max(node.end, node.start + 1)
        elif start is not None:
            lo, hi = start, start + 1
        else:
            continue
        out.append((max(0, lo), min(size, hi), f["severity"], f"{f['rule']}: {f['message']}"))
    return out


def _hex_html(data: bytes, ranges: list[tuple[int, int, str, str]]) -> str:
    marks: dict[int, tuple[str, str]] = {}
    rank = {"error": 3, "warning": 2, "info": 1}
    for lo, hi, severity, text in ranges:
        for i in range(lo, hi):
            if i not in marks or rank[severity] > rank[marks[i][0]]:
                marks[i] = (severity, text)
    lines = []
    for at in range(0, len(data), HEX_PER_LINE):
        cells = []
        for i in range(at, min(at + HEX_PER_LINE, len(data))):
            b = f"{data[i]:02X}"
            if i in marks:
                sev, text = marks[i]
                cells.append(f'<mark class="{sev}" title="{_e(text)}">{b}</mark>')
            else:
                cells.append(b)
        lines.append(f"{at:05X}  " + " ".join(cells))
    return '<pre class="hex">' + "\n".join(lines) + "</pre>"


def message_html(data: bytes | None, root: Node | None, findings: list[dict]) -> str:
    """A message's tree beside its hex, the bytes each finding points at highlighted."""
    if data is None:
        return "<p>No message bytes.</p>"
    tree = f'<div class="tree"><ul>{_tree_html(root)}</ul></div>' if root is not None else \
        '<div class="tree"><p>Not decoded.</p></div>'
    return f'<div class="message">{tree}{_hex_html(data, _highlight_ranges(root, findings, len(data)))}</div>'


# -- the timeline ------------------------------------------------------------------------------

def timeline_svg(devices: list[dict], width: int = 900) -> str:
    """Alerts per device over time (bars per time bucket), storms as red bands. `devices` are
    `record: device` dicts (gbcs.flow.analyse.DeviceSummary.to_dict())."""
    rows = [d for d in devices if d["timeline"]["alerts"] or d["storms"]]
    rows.sort(key=lambda d: -d["alerts"])
    hidden = max(0, len(rows) - MAX_TIMELINE_DEVICES)
    rows = rows[:MAX_TIMELINE_DEVICES]
    if not rows:
        return '<p class="timeline-empty">No timed alerts to draw.</p>'
    starts = [t for d in rows for t, _ in d["timeline"]["alerts"]] + [s["start"] for d in rows for s in d["storms"]]
    ends = [t + d["timeline"]["bucket_seconds"] for d in rows for t, _ in d["timeline"]["alerts"]] + \
        [s["end"] for d in rows for s in d["storms"]]
    t0, t1 = min(starts), max(ends)
    span = max(t1 - t0, 1.0)
    label_w, row_h, top = 150, 28, 20
    plot_w = width - label_w - 10
    height = top + row_h * len(rows) + 30

    def x(t: float) -> float:
        return label_w + (t - t0) / span * plot_w

    peak = max((n for d in rows for _, n in d["timeline"]["alerts"]), default=1)
    parts = [f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="Alerts per device over time">',
             f'<title>Alerts per device over time</title>']
    for i, d in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<g class="device" data-device="{_e(d["device"])}">')
        parts.append(f'<text x="4" y="{y + row_h - 10}">{_e(d["device"])}</text>')
        parts.append(f'<line x1="{label_w}" y1="{y + row_h - 4}" x2="{width - 10}" y2="{y + row_h - 4}" stroke="#ccc"/>')
        for s in d["storms"]:
            x0, x1 = x(s["start"]), x(s["end"])
            what = f"storm: {s['count']} alerts {s['start_time']} .. {s['end_time']}"
            parts.append(f'<rect class="storm" x="{x0:.1f}" y="{y + 1}" width="{max(x1 - x0, 3):.1f}" '
                         f'height="{row_h - 4}" fill="#ff1744" fill-opacity="0.25" stroke="#d50000">'
                         f'<title>{_e(what)}</title></rect>')
        w = d["timeline"]["bucket_seconds"]
        for t, n in d["timeline"]["alerts"]:
            h = max(2.0, (row_h - 8) * math.log1p(n) / math.log1p(peak))   # log scale: 1 alert stays visible
            parts.append(f'<rect class="alerts" x="{x(t):.1f}" y="{y + row_h - 4 - h:.1f}" '
                         f'width="{max(x(t + w) - x(t) - 0.5, 1.5):.1f}" height="{h:.1f}" fill="#1565c0">'
                         f'<title>{n} alert{"s" if n != 1 else ""}</title></rect>')
        parts.append("</g>")
    iso0 = datetime.fromtimestamp(t0, timezone.utc).isoformat().replace("+00:00", "Z")
    iso1 = datetime.fromtimestamp(t1, timezone.utc).isoformat().replace("+00:00", "Z")
    parts.append(f'<text x="{label_w}" y="{height - 8}">{_e(iso0)}</text>')
    parts.append(f'<text x="{width - 10}" y="{height - 8}" text-anchor="end">{_e(iso1)}</text>')
    parts.append("</svg>")
    more = f"<p>{hidden} more devices with alerts are not drawn.</p>" if hidden else ""
    return "".join(parts) + more


# -- whole pages ---------------------------------------------------------------------------------

def cts_html(results: list, title: str = "gbcs cts run") -> str:
    """The HTML report of a CTS run: summary, a row per scenario, then each scenario's steps
    (tree beside hex, findings highlighted). `results` are gbcs.flow.cts.ScenarioResult or
    ScenarioError items."""
    rows, sections = [], []
    passed = failed = 0
    for i, r in enumerate(results, 1):
        if not hasattr(r, "verdict"):
            failed += 1
            rows.append(f'<tr class="fail"><td>{_e(r.message)}</td><td class="verdict">fail</td><td>0</td><td>1</td></tr>')
            continue
        rec = r.to_dict()
        ok = rec["verdict"] == "pass"
        passed, failed = passed + ok, failed + (not ok)
        n_find = len(rec["findings"]) + sum(len(s["findings"]) for s in rec["steps"])
        rows.append(f'<tr class="{rec["verdict"]}"><td><a href="#s{i}">{_e(rec["scenario"])}</a></td>'
                    f'<td class="verdict">{rec["verdict"]}</td><td>{len(rec["steps"])}</td><td>{n_find}</td></tr>')
        steps = []
        for sr, sd in zip(r.steps, rec["steps"]):
            fm = sr.step.message
            root = fm.message.root if fm is not None and fm.message is not None else None
            steps.append(f'<details class="step {sd["verdict"]}"{" open" if sd["verdict"] == "fail" else ""}>'
                         f'<summary>{_e(sd["kind"])} — {_e(sd["source"])} — '
                         f'<span class="{sd["verdict"]}">{sd["verdict"]}</span></summary>'
                         f'{_findings_list(sd["findings"])}'
                         f'{message_html(fm.data if fm else None, root, sd["findings"])}</details>')
        sections.append(f'<section class="scenario {rec["verdict"]}" id="s{i}"><h2>{_e(rec["scenario"])} — '
                        f'<span class="{rec["verdict"]}">{rec["verdict"].upper()}</span></h2>'
                        f'{_findings_list(rec["findings"])}{"".join(steps)}</section>')
    summary = (f'<section id="summary"><p><span class="pass">{passed} passed</span>, '
               f'<span class="fail">{failed} failed</span> of {passed + failed} scenarios.</p></section>')
    table = ('<table id="scenarios"><thead><tr><th>Scenario</th><th>Verdict</th><th>Steps</th><th>Findings</th>'
             f'</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    return _page(title, summary + table + "".join(sections))


def _message_of(data: bytes, findings: list[dict]) -> str:
    from gbcs.decoding import decode
    from gbcs.errors import GbcsError
    try:
        root = decode(data).root
    except GbcsError:
        root = None
    return message_html(data, root, findings)


def capture_html(records: list[dict], title: str = "gbcs capture analyse") -> str:
    """The HTML report of a capture analysis: summary, findings per flow, devices, timeline."""
    events = sorted((r for r in records if r.get("record") == "flow"),
                    key=lambda r: (r.get("timestamp") is None, r.get("timestamp") or 0, r.get("frame") or 0))
    devices = [r for r in records if r.get("record") == "device"]
    summary = next((r for r in records if r.get("record") == "summary"), None)
    counts = ", ".join(f"{_e(rule)} × {n}" for rule, n in (summary or {}).get("rules", {}).items()) or "no findings"
    head = (f'<section id="summary"><p>{(summary or {}).get("messages", 0)} messages, {len(devices)} devices, '
            f'{len(events)} flows with findings: {counts}.</p></section>')
    rows = []
    for i, ev in enumerate(events[:MAX_EVENTS_SHOWN], 1):
        worst = "error" if any(f["severity"] == "error" for f in ev["findings"]) else \
            "warning" if any(f["severity"] == "warning" for f in ev["findings"]) else "info"
        verdict = "fail" if worst == "error" else "pass"
        message = ""
        if ev.get("data"):
            message = f"<details><summary>message</summary>{_message_of(bytes.fromhex(ev['data']), ev['findings'])}" \
                      "</details>"
        rows.append(f'<tr class="{verdict}"><td>{_e(ev["source"])}</td><td>{_e(ev.get("time") or "")}</td>'
                    f'<td>{_e(ev.get("device") or "")}</td><td class="verdict {worst}">{_e(worst)}</td>'
                    f'<td>{_findings_list(ev["findings"])}{message}</td></tr>')
    more = f"<p>{len(events) - MAX_EVENTS_SHOWN} more flows with findings are in the JSON output.</p>" \
        if len(events) > MAX_EVENTS_SHOWN else ""
    flows = ('<h2>Flows</h2><table id="flows"><thead><tr><th>Source</th><th>Time</th><th>Device</th><th>Verdict</th>'
             f'<th>Findings</th></tr></thead><tbody>{"".join(rows)}</tbody></table>{more}')
    dev_rows = "".join(
        f'<tr><td>{_e(d["device"])}</td><td>{d["commands"]}</td><td>{d["responses"]}</td><td>{d["alerts"]}</td>'
        f'<td>{d["unanswered_commands"]}</td><td>{len(d["storms"])}</td><td>{_e(d["first"] or "")}</td>'
        f'<td>{_e(d["last"] or "")}</td></tr>' for d in devices)
    table = ('<h2>Devices</h2><table id="devices"><thead><tr><th>Device</th><th>Commands</th><th>Responses</th>'
             '<th>Alerts</th><th>Unanswered</th><th>Storms</th><th>First</th><th>Last</th></tr></thead>'
             f'<tbody>{dev_rows}</tbody></table>')
    return _page(title, head + '<h2>Timeline</h2>' + timeline_svg(devices) + flows + table)
