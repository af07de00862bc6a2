"""The gbcs command line: formats, sources, exit codes."""
from __future__ import annotations

import base64
import json

from click.testing import CliRunner

from gbcs.builder import Envelope, gbt_blocks, general_signing, mac_wrap, precommand
from gbcs.cli import main

ENV = Envelope(cra="command", counter=1000, originator="90B3D51F30010000", recipient="00DB1234567890A0",
               message_code=0x0059)
GET = bytes.fromhex("D9200003E800010100010000000201FF020100")
COMMAND = mac_wrap(general_signing(ENV, GET, b""), bytes(12))
PRE = precommand(ENV, GET)


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_version_names_the_backend():
    result = run("--version")
    assert result.exit_code == 0
    assert "backend: " in result.output


def test_jsonl_record_keys(tmp_path):
    f = tmp_path / "two.txt"
    f.write_text(COMMAND.hex(" ") + "\n" + PRE.hex().upper() + "\n")
    result = run("decode", "--format", "jsonl", str(f))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["source"] for r in records] == [f"{f}:1", f"{f}:2"]
    first = records[0]
    assert first["ok"] is True and first["kind"] == "command" and records[1]["kind"] == "precommand"
    assert first["message_code"] == 0x59 and first["use_case"] == "ECS52" and first["cra_flag"] == 1
    assert first["originator"] == "90B3D51F30010000" and first["recipient"] == "00DB1234567890A0"
    assert first["originator_counter"] == 1000 and first["date_time"] is None
    assert first["payload_type"] == "dlms" and first["unparsed_bytes"] == 0 and first["error"] is None
    assert first["tree"]["name"] == "message" and first["tree"]["length"] == len(COMMAND)


def test_failure_exit_status_and_error_record(tmp_path):
    f = tmp_path / "bad.hex.txt"
    f.write_text(COMMAND[:30].hex())
    result = run("decode", "--format", "jsonl", str(f))
    assert result.exit_code == 1
    record = json.loads(result.output)
    assert record["ok"] is False and record["source"] == str(f)
    err = record["error"]
    assert err["type"] in ("TruncatedError", "LengthError") and isinstance(err["offset"], int) and err["field"]


def test_text_tree_shows_offsets_hex_and_meaning(tmp_path):
    f = tmp_path / "m.bin"
    f.write_bytes(COMMAND)
    result = run("decode", str(f))
    assert result.exit_code == 0
    assert "command 0x0059 ECS52" in result.output
    assert "originator_counter" in result.output and "00010  " in result.output   # offsets in hex


def test_stdin_base64_and_json_array():
    result = run("decode", "--format", "json", "-", input=base64.b64encode(PRE).decode() + "\n")
    assert result.exit_code == 0
    records = json.loads(result.output)
    assert len(records) == 1 and records[0]["kind"] == "precommand"


def test_directory_walk_and_duis_xml(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.txt").write_text(PRE.hex())
    (tmp_path / "a.xml").write_text(
        '<?xml version="1.0"?><sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">'
        f"<sr:GBCSPayload>{base64.b64encode(COMMAND).decode()}</sr:GBCSPayload></sr:Response>")
    result = run("decode", "--format", "jsonl", str(tmp_path))
    assert result.exit_code == 0, result.output
    sources = [json.loads(line)["source"] for line in result.output.splitlines()]
    assert sources[0].endswith("a.xml") and sources[1].endswith("x.txt")


def test_gbt_blocks_one_per_line_are_joined(tmp_path):
    blocks = gbt_blocks(COMMAND, ENV, block_size=16)
    f = tmp_path / "gbt.txt"
    f.write_text("\n".join(b.hex() for b in blocks) + "\n")
    result = run("decode", "--format", "jsonl", str(f))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 1 and records[0]["gbt_blocks"] == len(blocks)
    assert records[0]["kind"] == "command"


def test_usage_errors_exit_2():
    assert run("decode").exit_code == 2
    assert run("decode", "--format", "xml", "x").exit_code == 2


def test_missing_file_is_a_failed_record(tmp_path):
    result = run("decode", "--format", "jsonl", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert json.loads(result.output)["error"]["type"] == "InputError"
