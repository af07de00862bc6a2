"""`gbcs codes` and `gbcs alerts` (Table 16.2 and the derived Table 28c view)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from gbcs.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_codes_by_hex_and_use_case():
    result = run("codes", "0x0059", "gcs24A")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["CODE", "USE", "CASE"]
    assert any(line.startswith("0059  ECS52") for line in lines)
    assert any(line.startswith("00FC  GCS24a") and "SME.C.C" in line for line in lines)
    assert any("older title:" in line and "SMETS4" in line for line in lines)


def test_codes_json_and_all():
    records = json.loads(run("codes", "--format", "json", "011A").output)
    assert records == [{**records[0], "code": "011A", "use_case": "ECS46d", "cra": ["command", "response"]}]
    assert len(json.loads(run("codes", "--format", "json").output)) == 240


def test_unknown_code_is_exit_1_with_advice():
    result = run("codes", "FFFF", "NOPE\x1b")
    assert result.exit_code == 1 and "'FFFF'" in result.output and "\x1b" not in result.output
    assert "use case (ECS52)" in result.output


def test_alerts_and_the_28c_view():
    result = run("alerts", "81A0")
    assert result.exit_code == 0
    assert "Smart Meter Integrity Issue" in result.output and "ESME supplier: wan_alert" in result.output
    view = json.loads(run("alerts", "--table", "28c", "--format", "json", "810E").output)
    assert {(r["device"], r["role"]) for r in view} == {("ESME", "supplier"), ("GSME", "supplier")}
    assert all(r["settings"] == ["wan_alert", "han_alert", "alarm", "event_log"] for r in view)
    # 28c holds only configurable alerts: 8F88 has no DUIS alert configuration
    assert json.loads(run("alerts", "--table", "28c", "--format", "json", "8F88").output) == []


def test_unknown_alert_code():
    result = run("alerts", "8001")
    assert result.exit_code == 1 and "Table 16.2" in result.output
    assert run("alerts", "--table", "27").exit_code == 2
