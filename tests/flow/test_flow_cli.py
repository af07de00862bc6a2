"""`gbcs cts run` and `gbcs capture analyse`: records, exit status, reports (JUnit, and HTML looked
at in headless Chromium when it is installed)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from flow_world import (ESME, SUPPLY_OUTAGE_RESTORED, activate_firmware, alert, critical_pair, critical_response,
                        pcap_user, read_command, read_response, write)
from gbcs.cli import main

HOSTILE = "ECSX1<script>alert(1)</script>\x1b[31m"


def scenario_folder(root, name="1.1_ECSX1", ok=True, outcome="SUCCESS", prefix="ECSX1") -> str:
    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    pre, cmd = critical_pair(1000)
    for kind, data in (("PRECOMMAND", pre), ("COMMAND", cmd), ("RESPONSE", critical_response(1000, ok=ok))):
        write(folder, f"{prefix}_1.1_IMMEDIATE_{outcome}_{kind}_GBCS.HEX", data.hex())
    return folder


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cts_run_jsonl_records_and_exit_status(tmp_path):
    good = scenario_folder(tmp_path)
    result = run("cts", "run", "--format", "jsonl", good)
    assert result.exit_code == 0, result.output
    [record] = [json.loads(line) for line in result.output.splitlines()]
    assert record["scenario"] == "1.1_ECSX1/IMMEDIATE_SUCCESS" and record["verdict"] == "pass"
    assert [s["kind"] for s in record["steps"]] == ["precommand", "command", "response"]
    assert set(record["steps"][0]) >= {"kind", "source", "verdict", "findings"} and record["findings"] == []
    bad = scenario_folder(tmp_path, "1.1_ECSX2", ok=False)
    result = run("cts", "run", good, bad)
    assert result.exit_code == 1
    assert "PASS 1.1_ECSX1/IMMEDIATE_SUCCESS" in result.output and "FAIL 1.1_ECSX2/IMMEDIATE_SUCCESS" in result.output
    assert "GBCS-F009" in result.output


def test_cts_run_usage_errors(tmp_path):
    assert run("cts", "run", "--report", "html", str(tmp_path)).exit_code == 2
    assert run("cts", "run", "-o", str(tmp_path / "x.html"), str(tmp_path)).exit_code == 2
    result = run("cts", "run", str(tmp_path))            # nothing to run: a failed record, not a traceback
    assert result.exit_code == 1 and "no scenario here" in result.output


def test_cts_junit_report(tmp_path):
    folder = scenario_folder(tmp_path, ok=False)
    report = tmp_path / "cts.xml"
    assert run("cts", "run", "--report", "junit", "-o", str(report), folder).exit_code == 1
    root = ET.parse(report).getroot()
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 4 and suite.get("failures") == "1"      # precommand, command, response, flow checks
    [failed] = [c for c in cases if c.find("failure") is not None]
    assert "response" in failed.get("name") and failed.find("failure").get("type") == "GBCS-F009"


def test_text_output_escapes_what_inputs_hold(tmp_path):
    folder = scenario_folder(tmp_path, name="1.1_" + HOSTILE, prefix="ECSX1")
    result = run("cts", "run", folder)
    assert "\x1b" not in result.output and "\\x1b" in result.output


def test_capture_analyse_records(tmp_path):
    frames = [(0, read_command(1)), (1, read_response(1)), (2, read_command(2)),
              (3, activate_firmware(3)), (4, read_response(3, code=0x0012)),
              (60, alert(10, SUPPLY_OUTAGE_RESTORED, at=60))]
    path = write(tmp_path, "cap.pcap", pcap_user(frames))
    result = run("capture", "analyse", "--format", "jsonl", path)
    assert result.exit_code == 1                                  # command 2 was never answered
    records = [json.loads(line) for line in result.output.splitlines()]
    flows = [r for r in records if r["record"] == "flow"]
    assert {f["rule"] for r in flows for f in r["findings"]} == {"GBCS-F001", "GBCS-F007"}
    unanswered = next(r for r in flows if r["findings"][0]["rule"] == "GBCS-F001")
    assert unanswered["frame"] == 3 and unanswered["source"].endswith("#3") and unanswered["time"].endswith("Z")
    [device] = [r for r in records if r["record"] == "device"]
    assert device["device"] == ESME.hex().upper() and device["commands"] == 3 and device["alerts"] == 1
    assert records[-1]["record"] == "summary" and records[-1]["messages"] == 6


def test_capture_analyse_clean_capture_exits_0(tmp_path):
    path = write(tmp_path, "ok.pcap", pcap_user([(0, read_command(1)), (1, read_response(1))]))
    result = run("capture", "analyse", path)
    assert result.exit_code == 0 and "2 messages, 1 device: no findings" in result.output


def test_capture_analyse_options(tmp_path):
    storm = [(i, alert(100 + i, 0x8F36, at=i)) for i in range(12)]
    path = write(tmp_path, "s.pcap", pcap_user(storm))
    result = run("capture", "analyse", "--storm-threshold", "5", "--storm-window", "10", "--format", "json", path)
    records = json.loads(result.output)
    assert any(f["rule"] == "GBCS-F006" for r in records if r["record"] == "flow" for f in r["findings"])
    assert run("capture", "analyse", "--udp-port", "70000", path).exit_code == 2


# -- HTML ------------------------------------------------------------------------------------------

def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def dump_dom(path) -> str:
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium binary (Debian package chromium); .ci/run installs it")
    run_ = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--user-data-dir=" + str(path) + ".profile", "--dump-dom", f"file://{path}"],
                          capture_output=True, text=True, timeout=120)
    assert run_.returncode == 0, run_.stderr[-2000:]
    return run_.stdout


def test_cts_html_report(tmp_path):
    good = scenario_folder(tmp_path)
    bad = scenario_folder(tmp_path, "1.1_" + HOSTILE, ok=False)
    report = tmp_path / "cts.html"
    assert run("cts", "run", "--report", "html", "-o", str(report), good, bad).exit_code == 1
    page = report.read_text()
    assert "<script>" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    dom = dump_dom(report)
    assert "1 passed" in dom and "1 failed" in dom
    assert dom.count('<tr class="fail">') == 1 and dom.count('<tr class="pass">') == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom            # shown as text, never run
    assert '<mark class="error"' in dom and "GBCS-F009" in dom       # the failing result bytes marked
    assert "response_specs" in dom                                    # the tree beside the hex


def test_capture_html_report_with_timeline(tmp_path):
    storm = [(i * 0.1, alert(100 + i, 0x8F36, at=i * 0.1)) for i in range(500)]
    calm = [(600 + i, read_command(1 + i, device=bytes.fromhex("AB000000000000E5"))) for i in range(3)]
    path = write(tmp_path, "storm.pcap", pcap_user(storm + calm))
    report = tmp_path / "cap.html"
    assert run("capture", "analyse", "--report", "html", "-o", str(report), path).exit_code == 1
    dom = dump_dom(report)
    assert 'id="timeline"' in dom and dom.count('class="storm"') == 1
    assert ESME.hex().upper() in dom and "GBCS-F006" in dom and "500 alerts" in dom
    assert "GBCS-F001" in dom and "grouping_header" in dom             # unanswered commands, tree shown


def test_json_reports(tmp_path):
    folder = scenario_folder(tmp_path)
    report = tmp_path / "cts.json"
    assert run("cts", "run", "--report", "json", "-o", str(report), folder).exit_code == 0
    [record] = json.loads(report.read_text())
    assert record["verdict"] == "pass"
    path = write(tmp_path, "c.pcap", pcap_user([(0, read_command(1))]))
    report = tmp_path / "cap.json"
    assert run("capture", "analyse", "--report", "json", "-o", str(report), path).exit_code == 1
    assert [r["record"] for r in json.loads(report.read_text())] == ["flow", "device", "summary"]


def test_gbt_blocks_across_capture_frames(tmp_path):
    from gbcs.builder import Envelope, gbt_blocks
    reply = read_response(2)
    blocks = gbt_blocks(reply, Envelope("response", 2, ESME, bytes.fromhex("AB00000000010000"), 0x0059), 20)
    assert len(blocks) > 1
    path = write(tmp_path, "gbt.pcap", pcap_user([(0, read_command(2))] + [(1 + i, b) for i, b in enumerate(blocks)]))
    result = run("capture", "analyse", "--format", "jsonl", path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["messages"] == 2       # command + the reassembled response
    result = run("decode", path)
    assert result.exit_code == 0 and "response 0x0059" in result.output
