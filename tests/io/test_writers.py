"""The output writers: JUnit and SARIF valid against their schemas, JSON trees streamed and equal
to Node.to_dict(), and every document complete when producing a record fails midway."""
from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
import xmlschema

import gbcs
from gbcs.builder import Envelope, general_signing, mac_wrap
from gbcs.findings import finding
from gbcs.io.jsonout import iter_json, write_json, write_jsonl
from gbcs.io.junit import write_junit
from gbcs.io.records import Result, Tree
from gbcs.io.sarif import artifact_of, write_sarif
from gbcs.io.text import write_text

SCHEMAS = Path(__file__).resolve().parent.parent / "data" / "schemas"
ENV = Envelope(cra="command", counter=1000, originator="90B3D51F30010000", recipient="00DB1234567890A0",
               message_code=0x0059)
GET = bytes.fromhex("D9200003E800010100010000000201FF020100")
COMMAND = mac_wrap(general_signing(ENV, GET, b""), bytes(12))


@pytest.fixture(scope="module")
def sarif_schema():
    return json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def junit_schema():
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))


def records():
    """A clean message, one with an error and a warning, one whose input could not be read;
    texts carry control characters and XML/JSON specials."""
    bad = finding("GBCS-M001", "MAC <wrong> & \x1b[31mred\x1b[0m", 60, "mac")
    warn = finding("GBCS-S002", "signature not verified: no DS certificate for the originator 00DB1234567890A0")
    info_less = finding("GBCS-D001", "the input ends early")
    return [
        {"source": "dir/a b.hex:1", "use_case": "ECS52", "status": "verified", "findings": []},
        {"source": "dir/a b.hex:2", "use_case": "ECS52", "status": "failed",
         "findings": [bad.to_dict(), warn.to_dict()]},
        {"source": "odd\x07name.bin", "status": "failed", "findings": [info_less.to_dict()]},
    ]


def test_sarif_is_valid_and_has_a_result_per_finding(sarif_schema):
    out = io.StringIO()
    write_sarif(records(), out)
    doc = json.loads(out.getvalue())
    jsonschema.validate(doc, sarif_schema)
    run = doc["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["GBCS-M001", "GBCS-S002", "GBCS-D001"]
    assert [r["level"] for r in run["results"]] == ["error", "warning", "error"]
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first == {"artifactLocation": {"uri": "dir/a%20b.hex"}, "region": {"byteOffset": 60}}
    assert run["results"][0]["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": "mac", "kind": "member"}]
    assert "region" not in run["results"][1]["locations"][0]["physicalLocation"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"GBCS-M001", "GBCS-S002", "GBCS-D001"}
    assert rules["GBCS-M001"]["name"] == "mac-invalid" and rules["GBCS-M001"]["properties"]["topic"] == "mac"
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_artifact_is_the_file_without_the_message_number():
    assert artifact_of("x/y.txt:12") == "x/y.txt"
    assert artifact_of("x/y.txt:3..9") == "x/y.txt"
    assert artifact_of("x/y.bin") == "x/y.bin"


def test_junit_is_valid_with_a_failure_per_error_finding(junit_schema):
    out = io.StringIO()
    write_junit(records(), out)
    text = out.getvalue()
    junit_schema.validate(text)
    doc = junit_schema.to_dict(text)
    suite = doc["testsuite"][0]
    assert (suite["@tests"], suite["@failures"], suite["@errors"]) == ("3", "2", "0")
    cases = suite["testcase"]
    assert [c["@classname"] for c in cases] == ["ECS52", "ECS52", "gbcs"]
    assert [c["@name"] for c in cases] == ["dir/a b.hex:1", "dir/a b.hex:2", "odd\\x07name.bin"]
    assert [f["@type"] for f in cases[1]["failure"]] == ["GBCS-M001"]     # the warning is not a failure
    assert "\x1b" not in text and "\\x1b[31mred" in text


def test_junit_strict_makes_warnings_failures(junit_schema):
    out = io.StringIO()
    write_junit(records(), out, fail_on=("error", "warning"))
    case = junit_schema.to_dict(out.getvalue())["testsuite"][0]["testcase"][1]
    assert [f["@type"] for f in case["failure"]] == ["GBCS-M001", "GBCS-S002"]


def failing_after(items, n):
    for i, item in enumerate(items):
        if i == n:
            raise RuntimeError("keystore exploded")
        yield item


@pytest.mark.parametrize("writer", [write_json, write_jsonl, write_sarif, write_junit])
def test_documents_are_complete_when_a_record_fails_midway(writer, sarif_schema, junit_schema):
    out = io.StringIO()
    with pytest.raises(RuntimeError):
        writer(failing_after(records(), 2), out)
    text = out.getvalue()
    if writer is write_jsonl:
        assert [json.loads(line)["source"] for line in text.splitlines()] == ["dir/a b.hex:1", "dir/a b.hex:2"]
    elif writer is write_json:
        assert [r["source"] for r in json.loads(text)] == ["dir/a b.hex:1", "dir/a b.hex:2"]
    elif writer is write_sarif:
        doc = json.loads(text)
        jsonschema.validate(doc, sarif_schema)
        assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
        assert "keystore exploded" in doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    else:
        junit_schema.validate(text)
        assert 'name="run stopped early"' in text


def test_text_summary_counts_outcomes_and_rules_even_when_stopped():
    out = io.StringIO()
    write_text(records(), out, summary=True)
    lines = out.getvalue().splitlines()
    assert "3 messages: 1 verified, 0 unverified, 2 failed" in lines
    assert "  GBCS-M001 mac-invalid (error): 1" in lines and "  GBCS-S002 signature-not-verified (warning): 1" in lines
    assert "ERROR GBCS-M001 at 0x0003C in mac: MAC <wrong> & \\x1b[31mred\\x1b[0m" in out.getvalue()
    out = io.StringIO()
    with pytest.raises(RuntimeError):
        write_text(failing_after(records(), 1), out, summary=True)
    assert "run stopped early after 1 message: 1 verified, 0 unverified, 0 failed" in out.getvalue()


def test_streamed_json_tree_equals_to_dict():
    message = gbcs.decode(COMMAND)
    for indent in (None, 2):
        text = "".join(iter_json({"tree": Tree(message.root, {"reassembled": message.root}), "n": [message.root]},
                                 indent))
        doc = json.loads(text)
        assert doc["tree"] == {**message.root.to_dict(), "reassembled": message.root.to_dict()}
        assert doc["n"] == [message.root.to_dict()]


def test_json_writers_write_decode_results():
    result = Result("m.hex", message=gbcs.decode(COMMAND), data=COMMAND)
    out = io.StringIO()
    write_jsonl([result, result], out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["tree"] == gbcs.decode(COMMAND).root.to_dict()
    out = io.StringIO()
    write_json([result], out)
    assert json.loads(out.getvalue())[0]["use_case"] == "ECS52"


def test_huge_integers_are_written_not_raised():
    from gbcs.message import Node
    big = 1 << 20000                        # beyond Python's int-to-str digit limit
    node = Node("n", 0, 2500, "uint", big)
    doc = json.loads("".join(iter_json(node)))
    assert doc["value"] == f"0x{big:X}"


class WriteSizes(io.StringIO):
    """A stream that remembers the largest single write."""
    largest = 0

    def write(self, text):
        self.largest = max(self.largest, len(text))
        return super().write(text)


def null_structure(n: int) -> bytes:
    """Issue 7 item 8's message shape, smaller: an alert whose DLMS structure holds n null-data."""
    content = bytes.fromhex("0F0000000100") + b"\x02" + _ber(n) + bytes(n)
    return (bytes.fromhex("DF090301000000000000010800DB1234567890A00890B3D51F300100000002" "00CC")
            + _ber(len(content)) + content + b"\x00")


def _ber(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else bytes([0x82]) + n.to_bytes(2, "big")


@pytest.mark.parametrize("writer", [write_json, write_jsonl])
def test_big_trees_are_written_in_bounded_pieces(writer):
    from gbcs.io.jsonout import FLUSH_AT
    data = null_structure(20000)
    message = gbcs.decode(data)
    out = WriteSizes()
    writer([Result("big", message=message, data=data)], out)
    text = out.getvalue()
    assert len(text) > 8 * FLUSH_AT and out.largest < 2 * FLUSH_AT
    doc = json.loads(text)
    tree = (doc[0] if writer is write_json else doc)["tree"]
    assert tree == message.root.to_dict()


def test_text_tree_indents_each_node_by_its_depth():
    from gbcs.io.text import render_tree
    data = null_structure(50)
    message = gbcs.decode(data)
    out = io.StringIO()
    render_tree(message.root, data, out)
    lines = out.getvalue().splitlines()
    nodes = list(message.root.walk())
    assert len(lines) == len(nodes)
    for line, (path, node) in zip(lines, nodes):
        depth = path.count(".")
        assert line.startswith(f"{node.start:05X}  " + "  " * depth + node.name), (line, path)
