"""The CTS runner over the real RTDS corpus (GBCS_RTDS): every scenario folder passes, and faults
seeded into copies of its folders (in tmp_path, never in the project) are caught by the right rule."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gbcs.flow.cts import discover, rtds_scenarios, run_scenario

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def rtds_root(rtds) -> Path:
    return rtds[0][0].parent.parent


@pytest.fixture(scope="module")
def keystore(rtds_root):
    from gbcs.crypto import Keystore
    return Keystore.load([str(rtds_root.parent / "keystore")])


def rules_of(result) -> set[str]:
    return {f.rule for f in result.findings} | {f.rule for s in result.steps for f in s.findings}


def test_every_rtds_scenario_passes(rtds_root, keystore):
    folders = [p for p in rtds_root.iterdir() if p.is_dir()]
    scenarios = list(discover([str(rtds_root)]))
    assert len({s.name.split("/")[0] for s in scenarios}) == len(folders)
    failures = {}
    for s in scenarios:
        r = run_scenario(s, keystore)
        if r.verdict != "pass":
            failures[s.name] = [f"{f.rule} {f.message}" for f in r.findings] + \
                [f"{x.step.kind}: {f.rule} {f.message}" for x in r.steps for f in x.findings if f.severity == "error"]
    assert not failures, failures
    # the outcome check really ran: most responses name and report their outcome
    assert sum(1 for s in scenarios if any(st.kind == "response" for st in s.steps)) > 350


def copy(rtds_root: Path, tmp_path: Path, folder: str) -> Path:
    target = tmp_path / folder
    shutil.copytree(rtds_root / folder, target)
    return target


def scenario(folder: Path, variant: str):
    return next(s for s in rtds_scenarios(str(folder)) if s.name.endswith("/" + variant))


def test_seeded_response_swapped_in_from_another_scenario(rtds_root, tmp_path):
    folder = copy(rtds_root, tmp_path, "1.1.2_ECS01c")
    other = next((rtds_root / "6.22_GCS20").glob("*_SUCCESS_RESPONSE_GBCS.HEX"))
    target = next(folder.glob("*_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX"))
    target.write_text(other.read_text())
    assert "GBCS-F003" in rules_of(run_scenario(scenario(folder, "IMMEDIATE_SUCCESS")))


def test_seeded_missing_response(rtds_root, tmp_path):
    folder = copy(rtds_root, tmp_path, "11.3_CS06")
    next(folder.glob("*_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX")).unlink()
    result = run_scenario(scenario(folder, "IMMEDIATE_SUCCESS"))
    assert result.verdict == "fail" and "GBCS-F001" in rules_of(result)


def test_seeded_signed_part_differs(rtds_root, tmp_path):
    folder = copy(rtds_root, tmp_path, "1.1.2_ECS01c")
    pre = next(folder.glob("*_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX"))
    text = pre.read_text().strip()
    pre.write_text(text[:-2] + ("00" if text[-2:] != "00" else "01"))     # last content byte changed
    assert "GBCS-F008" in rules_of(run_scenario(scenario(folder, "IMMEDIATE_SUCCESS")))


def test_seeded_success_file_with_error_response(rtds_root, tmp_path):
    folder = copy(rtds_root, tmp_path, "1.1.2_ECS01c")
    ok = next(folder.glob("*_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX"))
    error = next(folder.glob("*_IMMEDIATE_ERROR_RESPONSE_GBCS.HEX"))
    # the error response, with the success command's counter so that only the outcome differs
    ok_hex, err_hex = ok.read_text().strip(), error.read_text().strip()
    ok.write_text(err_hex[:6] + ok_hex[6:22] + err_hex[22:])
    result = run_scenario(scenario(folder, "IMMEDIATE_SUCCESS"))
    assert "GBCS-F009" in rules_of(result)
