"""The CTS runner on RTDS-layout folders and TOML scenarios built here: each flow rule broken once
and kept once."""
from __future__ import annotations

import os
import re

import pytest

from flow_world import (ESME, ESME2, alert, critical_pair, critical_response, read_command, read_response, write)
from gbcs.flow.cts import ScenarioError, discover, load_scenario_file, parse_rtds_name, run_scenario, rtds_scenarios


def rtds_folder(root, name: str, files: dict[str, bytes]) -> str:
    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    for filename, data in files.items():
        write(folder, filename, data.hex().upper() + "\n")
    return folder


def variant(tmp_path, counter: int = 1000, *, outcome: str = "SUCCESS", ok: bool = True, name: str = "1.1_ECSX1",
            drop: str | None = None, response: bytes | None = None, command: bytes | None = None,
            alerts: dict[str, bytes] | None = None, words: str = "IMMEDIATE") -> str:
    pre, cmd = critical_pair(counter)
    files = {f"ECSX1_1.1_{words}_{outcome}_PRECOMMAND_GBCS.HEX": pre,
             f"ECSX1_1.1_{words}_{outcome}_COMMAND_GBCS.HEX": command or cmd,
             f"ECSX1_1.1_{words}_{outcome}_RESPONSE_GBCS.HEX": response or critical_response(counter, ok=ok)}
    files.update(alerts or {})
    if drop:
        files = {k: v for k, v in files.items() if f"_{drop}_GBCS" not in k}
    return rtds_folder(tmp_path, name, files)


def rules_of(result) -> set[str]:
    return {f.rule for f in result.findings} | {f.rule for s in result.steps for f in s.findings}


def only(folder: str):
    [scenario] = rtds_scenarios(folder)
    return run_scenario(scenario)


def test_rtds_names():
    n = parse_rtds_name("ECS01a_1.1.1_8F66_FUTURE_DATED_TOU_BLOCK_SUCCESS_ALERT_CURRENCY_UNIT_GBCS.HEX")
    assert (n.kind, n.variant, n.alert_code) == ("alert", ("FUTURE", "DATED", "TOU", "BLOCK", "SUCCESS"), 0x8F66)
    n = parse_rtds_name("CS02bAnyByContingency_NA_SUCCESS_RESPONSE_GBCS.HEX")
    assert (n.kind, n.variant) == ("response", ("SUCCESS",))
    assert parse_rtds_name("CCS08_NA_NA_ALERT_GBCS.HEX").alert_code is None
    assert parse_rtds_name("README.md") is None and parse_rtds_name("X_1_SUCCESS_OTHER_GBCS.HEX") is None


def test_good_variant_passes(tmp_path):
    result = only(variant(tmp_path))
    assert result.verdict == "pass", result.to_dict()
    assert [s.step.kind for s in result.steps] == ["precommand", "command", "response"]
    assert result.scenario.name == "1.1_ECSX1/IMMEDIATE_SUCCESS"


def test_error_variant_with_error_response_passes(tmp_path):
    assert only(variant(tmp_path, outcome="ERROR", ok=False)).verdict == "pass"


def test_success_file_whose_response_reports_an_error(tmp_path):
    result = only(variant(tmp_path, outcome="SUCCESS", ok=False))
    assert result.verdict == "fail" and "GBCS-F009" in rules_of(result)
    [f] = [f for s in result.steps for f in s.findings if f.rule == "GBCS-F009"]
    assert "Hardware Fault" in f.message and f.field and f.field.endswith("result")


def test_error_file_whose_response_succeeds(tmp_path):
    assert "GBCS-F009" in rules_of(only(variant(tmp_path, outcome="ERROR", ok=True)))


def test_missing_response(tmp_path):
    result = only(variant(tmp_path, drop="RESPONSE"))
    assert result.verdict == "fail" and [f.rule for f in result.findings] == ["GBCS-F001"]


def test_response_swapped_in_from_another_scenario(tmp_path):
    other = critical_response(2000)                      # answers another command (counter 2000)
    result = only(variant(tmp_path, response=other))
    assert "GBCS-F003" in rules_of(result)
    assert "counter 2000 is not the command's 1000" in next(
        f.message for s in result.steps for f in s.findings if f.rule == "GBCS-F003")
    # a response of another use case and device is caught the same way
    result = only(variant(tmp_path, name="1.1_ECSX2", response=read_response(1000, device=ESME2)))
    text = next(f.message for s in result.steps for f in s.findings if f.rule == "GBCS-F003")
    assert "swaps the parties" in text and "message code" in text


def test_signed_part_differs_from_precommand(tmp_path):
    _, foreign = critical_pair(1001)                       # signed from another pre-command
    result = only(variant(tmp_path, command=foreign))
    assert "GBCS-F008" in rules_of(result)


def test_alerts_must_belong_to_the_command(tmp_path):
    good = {"ECSX1_1.1_8F35_IMMEDIATE_SUCCESS_ALERT_GBCS.HEX": alert(5, device=ESME)}
    assert only(variant(tmp_path, alerts=good)).verdict == "pass"
    bad = {"ECSX1_1.1_8F35_IMMEDIATE_SUCCESS_ALERT_GBCS.HEX": alert(5, device=ESME2)}
    result = only(variant(tmp_path, name="1.1_ECSX3", alerts=bad))
    assert "GBCS-F010" in rules_of(result)


def test_future_dated_outcome_alert(tmp_path):
    fine = {"ECSX1_1.1_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX": alert(5, code=0x8F66)}
    assert only(variant(tmp_path, words="FUTURE_DATED", alerts=fine)).verdict == "pass"
    wrong = {"ECSX1_1.1_8F67_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX": alert(5, code=0x8F67)}
    result = only(variant(tmp_path, name="1.1_ECSX4", words="FUTURE_DATED", alerts=wrong))
    assert "GBCS-F009" in rules_of(result)


def test_step_file_of_the_wrong_kind(tmp_path):
    result = only(variant(tmp_path, command=read_response(1000)))   # a response filed as COMMAND
    assert "GBCS-F011" in rules_of(result)


def test_alert_only_and_response_only_folders(tmp_path):
    folder = rtds_folder(tmp_path, "NA_X", {"X_NA_8F35_ALERT_GBCS.HEX": alert(1),
                                            "X_NA_SUCCESS_RESPONSE_GBCS.HEX": read_response(7)})
    results = [run_scenario(s) for s in rtds_scenarios(folder)]
    assert {r.scenario.name for r in results} == {"NA_X", "NA_X/SUCCESS"}
    assert all(r.verdict == "pass" for r in results)


def test_unreadable_step(tmp_path):
    folder = variant(tmp_path)
    path = next(os.path.join(folder, f) for f in os.listdir(folder) if "RESPONSE" in f)
    with open(path, "w") as f:
        f.write("not hex at all\n")
    result = only(folder)
    assert result.verdict == "fail" and "GBCS-F012" in rules_of(result)


# -- TOML scenarios ---------------------------------------------------------------------------

def toml_scenario(tmp_path, expect_command: str = 'use_case = "ECS52"', response_ok: bool = True) -> str:
    write(tmp_path, "cmd.hex", read_command(4096).hex())
    write(tmp_path, "rsp.txt", "# the meter's answer\n" + read_response(4096, ok=response_ok).hex(" "))
    return write(tmp_path, "read.toml", f"""
name = "ECS52 read firmware version"

[[steps]]
kind = "command"
file = "cmd.hex"
expect = {{ {expect_command} }}

[[steps]]
kind = "response"
file = "rsp.txt"
expect = {{ outcome = "success", values = {{ "payload.data[0].value" = "0123ABCD" }} }}
""")


def test_toml_scenario_passes(tmp_path):
    result = run_scenario(load_scenario_file(toml_scenario(tmp_path)))
    assert result.verdict == "pass", result.to_dict()
    assert result.scenario.name == "ECS52 read firmware version"


def test_toml_expectations(tmp_path):
    result = run_scenario(load_scenario_file(toml_scenario(tmp_path, 'use_case = "ECS99"', response_ok=False)))
    assert {"GBCS-F011", "GBCS-F009"} <= rules_of(result)


def test_toml_selects_from_a_capture(tmp_path):
    from flow_world import pcap_user
    write(tmp_path, "cap.pcap", pcap_user([(0, read_command(7)), (1, read_command(8)), (2, read_response(8))]))
    path = write(tmp_path, "sel.toml", """
[[steps]]
kind = "command"
file = "cap.pcap"
select = { counter = 8, kind = "command" }
[[steps]]
kind = "response"
file = "cap.pcap"
select = { frame = 3 }
""")
    result = run_scenario(load_scenario_file(path))
    assert result.verdict == "pass", result.to_dict()
    assert result.steps[0].step.message.frame == 2 and result.steps[0].step.message.timestamp is not None


@pytest.mark.parametrize("text, words", [
    ("steps = 3", "[[steps]]"),
    ("[[steps]]\nkind = \"command\"\n", "file ="),
    ("[[steps]]\nkind = \"order\"\nfile = \"x\"\n", "kind must be one of"),
    ("[[steps]]\nkind = \"request\"\nfile = \"x\"\n", "DUIS request"),
    ("[[steps]]\nkind = \"command\"\nfile = \"x\"\nexpect = { colour = 1 }\n", "expect is a table of"),
    ("name = [", "not valid TOML"),
])
def test_bad_scenario_files_say_what_to_do(tmp_path, text, words):
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ScenarioError, match=re.escape(words)):
        load_scenario_file(path)


def test_discover_reports_empty_and_missing_paths(tmp_path):
    items = list(discover([str(tmp_path), str(tmp_path / "nope")]))
    assert all(isinstance(i, ScenarioError) for i in items) and len(items) == 2


def test_unparseable_rtds_names_are_reported(tmp_path):
    folder = variant(tmp_path)
    write(folder, "ECSX1_1.1_IMMEDIATE_SUCCESS_OTHER_GBCS.HEX", "DF")
    items = list(discover([folder]))
    [error] = [i for i in items if isinstance(i, ScenarioError)]
    assert "OTHER_GBCS.HEX" in error.message and "_RESPONSE_GBCS.HEX" in error.message
