"""gbcs.io.inputs: files, directories and stdin -> message bytes (hex, base64, binary, DUIS XML)."""
from __future__ import annotations

import base64
import io
import os

import pytest

from gbcs.errors import InputError
from gbcs.io.inputs import InputMessage, iter_inputs, read_bytes

# message-like byte strings: what matters here is only the first byte (0xDD/0xDF/0xE0 start a message)
CMD = bytes.fromhex("DD0000000000000050110000000000DF09020000000000000003E908")
SIGNED = bytes.fromhex("DF0901000000000000000003EB0890B3D51F30010000")
ALERT = bytes.fromhex("E0000102030405")


def spaced(data: bytes, sep: str = " ") -> str:
    return sep.join(f"{b:02X}" for b in data)


def ok(messages: list[InputMessage]) -> list[bytes]:
    assert all(m.error is None for m in messages), [m.error for m in messages]
    return [m.data for m in messages]


# --- text: hex ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    CMD.hex().upper(),
    CMD.hex(),                                   # lower case
    spaced(CMD),                                 # spaces
    spaced(CMD, ":"),                            # colons
    spaced(CMD, "\t"),                           # tabs
    "0x" + CMD.hex(),
    "0X" + CMD.hex().upper(),
    " ".join(f"0x{b:02x}" for b in CMD),         # 0x on every byte
    f"  {CMD.hex()}  \r\n",                      # CRLF and padding
])
def test_single_hex_message_in_many_spellings(text):
    [m] = read_bytes(text.encode(), "cmd.hex")
    assert m == InputMessage("cmd.hex", CMD, "hex", None, 1)


def test_one_message_per_line_numbers_sources():
    text = f"{CMD.hex()}\n{SIGNED.hex()}\n{ALERT.hex()}\n"
    messages = read_bytes(text.encode(), "many.txt")
    assert ok(messages) == [CMD, SIGNED, ALERT]
    assert [m.source for m in messages] == ["many.txt:1", "many.txt:2", "many.txt:3"]
    assert [m.line for m in messages] == [1, 2, 3]
    assert {m.encoding for m in messages} == {"hex"}


def test_wrapped_dump_groups_lines_into_messages():
    def dump(data):   # 8 bytes per line, like a hex-dump tool
        return "\n".join(spaced(data[i:i + 8]) for i in range(0, len(data), 8))
    text = f"# two wrapped messages\n{dump(CMD)}\n{dump(SIGNED)}\n"
    messages = read_bytes(text.encode(), "dump.txt")
    assert ok(messages) == [CMD, SIGNED]
    assert [m.line for m in messages] == [2, 2 + len(dump(CMD).splitlines())]


def test_blank_line_ends_a_wrapped_message_and_comments_do_not():
    text = "0102\n# note\n0304\n\n0506\n"
    messages = read_bytes(text.encode(), "f")
    assert ok(messages) == [bytes.fromhex("01020304"), bytes.fromhex("0506")]
    assert [m.line for m in messages] == [1, 5]


def test_comments_and_blank_lines_are_skipped():
    text = f"# captured 2024-01-01\n\n   \n{CMD.hex()}\n# end\n"
    [m] = read_bytes(text.encode(), "f")
    assert (m.source, m.data, m.line) == ("f", CMD, 4)


def test_utf8_bom_and_utf16_text():
    [m] = read_bytes(b"\xef\xbb\xbf" + CMD.hex().encode(), "f")
    assert m.data == CMD
    [m] = read_bytes((CMD.hex() + "\r\n").encode("utf-16"), "f")
    assert (m.data, m.encoding) == (CMD, "hex")


# --- text: base64 and mixtures -----------------------------------------------------------------

def test_base64_line():
    [m] = read_bytes(base64.b64encode(CMD) + b"\n", "f")
    assert m == InputMessage("f", CMD, "base64", None, 1)


def test_wrapped_base64_joins_until_padding():
    b64 = base64.b64encode(CMD + SIGNED).decode()
    assert b64.endswith("=")
    text = "\n".join([b64[:24], b64[24:48], b64[48:]]) + "\n" + base64.b64encode(SIGNED).decode()
    messages = read_bytes(text.encode(), "f")
    assert ok(messages) == [CMD + SIGNED, SIGNED]
    assert [m.encoding for m in messages] == ["base64", "base64"]


def test_mixed_hex_and_base64_lines():
    text = f"{CMD.hex()}\n{base64.b64encode(SIGNED).decode()}\n{spaced(ALERT, ':')}\n"
    messages = read_bytes(text.encode(), "mixed.txt")
    assert ok(messages) == [CMD, SIGNED, ALERT]
    assert [m.encoding for m in messages] == ["hex", "base64", "hex"]


def test_line_that_is_neither_hex_nor_base64():
    text = f"{CMD.hex()}\nthis is not a message at all\n{SIGNED.hex()}\n"
    first, bad, last = read_bytes(text.encode(), "f")
    assert (first.data, last.data) == (CMD, SIGNED)
    assert bad.data is None and bad.line == 2 and bad.source == "f:2"
    assert isinstance(bad.error, InputError) and bad.error.source == "f:2"
    assert "line 2 is neither hex nor base64" in str(bad.error)
    assert "'this is not a messag…'" in str(bad.error)


def test_odd_length_hex_is_an_error_and_spoils_its_wrapped_message():
    [m] = read_bytes(b"DD0\n", "f")
    assert m.data is None and "odd number of hex digits (3)" in str(m.error)
    text = f"{CMD.hex()}\n0102030\n0405\n{SIGNED.hex()}\n"
    spoilt, good = read_bytes(text.encode(), "f")
    assert spoilt.data is None and spoilt.line == 1 and "line 2 has an odd number" in str(spoilt.error)
    assert good.data == SIGNED and good.source == "f:2"


def test_text_with_no_messages_is_one_error():
    for blob in (b"", b"# nothing here\n\n"):
        [m] = read_bytes(blob, "empty.txt")
        assert m.data is None and "no message found" in str(m.error)


# --- binary --------------------------------------------------------------------------------------

def test_binary_is_one_message():
    [m] = read_bytes(CMD, "cmd.bin")
    assert m == InputMessage("cmd.bin", CMD, "binary")


def test_binary_file_through_iter_inputs(tmp_path):
    path = tmp_path / "cmd.bin"
    path.write_bytes(CMD + b"\n" + SIGNED)   # a newline byte inside binary must not split it
    [m] = iter_inputs([str(path)])
    assert (m.source, m.data, m.encoding) == (str(path), CMD + b"\n" + SIGNED, "binary")


# --- DUIS XML ------------------------------------------------------------------------------------

def wrapped_b64(data: bytes, width: int = 16) -> str:
    b64 = base64.b64encode(data).decode()
    return "&#13;\n".join(b64[i:i + width] for i in range(0, len(b64), width))


def test_xml_namespaced_payloads_in_document_order():
    xml = f"""\ufeff<?xml version="1.0" encoding="UTF-8"?>
<sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">
  <sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000</sr:RequestID></sr:Header>
  <sr:ResponseMessage><sr:PreCommand>
    <sr:GBCSVersion>4.0</sr:GBCSVersion>
    <sr:GBCSPayload>
      {wrapped_b64(SIGNED)}
    </sr:GBCSPayload>
  </sr:PreCommand></sr:ResponseMessage>
  <other xmlns="urn:x"><GBCSPayload>{wrapped_b64(CMD, 20)}</GBCSPayload></other>
</sr:Response>"""
    messages = read_bytes(xml.encode(), "resp.xml")
    assert ok(messages) == [SIGNED, CMD]
    assert [m.source for m in messages] == ["resp.xml:1", "resp.xml:2"]
    assert {m.encoding for m in messages} == {"xml"}


def test_xml_device_gbcs_response_single_has_no_suffix():
    xml = f"<Request><ReturnLocalCommandResponse><DeviceGBCSResponse>{base64.b64encode(CMD).decode()}" \
          "</DeviceGBCSResponse></ReturnLocalCommandResponse></Request>"
    [m] = read_bytes(xml.encode(), "r.xml")
    assert m == InputMessage("r.xml", CMD, "xml")


def test_xml_without_payload_element():
    [m] = read_bytes(b"<Request><Header/></Request>", "r.xml")
    assert m.data is None and m.encoding == "xml" and "no GBCS payload element" in str(m.error)


@pytest.mark.parametrize("xml", [b"<Request><GBCSPayload>3QAR</Request>", b"  <", b"<a></b>"])
def test_malformed_xml(xml):
    [m] = read_bytes(xml, "bad.xml")
    assert m.data is None and m.encoding == "xml" and "not well-formed" in str(m.error)


def test_xml_entities_are_refused():
    xml = b'<!DOCTYPE r [<!ENTITY a "3QAR">]><r><GBCSPayload>&a;</GBCSPayload></r>'
    [m] = read_bytes(xml, "evil.xml")
    assert m.data is None and "refused" in str(m.error)


def test_xml_payload_that_is_not_base64_counts_as_a_message():
    xml = f"<r><GBCSPayload>not base64!</GBCSPayload><GBCSPayload>{base64.b64encode(CMD).decode()}" \
          "</GBCSPayload><GBCSPayload/></r>"
    bad, good, empty = read_bytes(xml.encode(), "x.xml")
    assert bad.source == "x.xml:1" and "not valid base64" in str(bad.error)
    assert good.data == CMD
    assert empty.data is None and "empty" in str(empty.error)


# --- iter_inputs: paths, directories, stdin, limits ----------------------------------------------

def test_directory_walk_sorted_nested_hidden_skipped(tmp_path):
    files = {"b.hex": CMD.hex(), "a/z.hex": SIGNED.hex(), "a.txt": ALERT.hex(), "a/b/c.bin": CMD,
             ".hidden.hex": "zz", ".git/x.hex": "zz", "a/.cache/y.hex": "zz"}
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    messages = list(iter_inputs([str(tmp_path)]))
    assert [m.source for m in messages] == [os.path.join(str(tmp_path), *rel.split("/"))
                                            for rel in ("a/b/c.bin", "a/z.hex", "a.txt", "b.hex")]
    assert ok(messages) == [CMD, SIGNED, ALERT, CMD]


def test_empty_directory_is_reported(tmp_path):
    [m] = iter_inputs([str(tmp_path)])
    assert m.data is None and "no files found" in str(m.error)


def test_stdin_dash():
    stdin = io.BytesIO(f"{CMD.hex()}\n{SIGNED.hex()}\n".encode())
    messages = list(iter_inputs(["-"], stdin=stdin))
    assert [m.source for m in messages] == ["<stdin>:1", "<stdin>:2"]
    assert ok(messages) == [CMD, SIGNED]


def test_nonexistent_path_and_inputs_in_order(tmp_path):
    path = tmp_path / "one.hex"
    path.write_text(CMD.hex())
    missing = str(tmp_path / "nope.hex")
    gone, found = iter_inputs([missing, str(path)])
    assert gone.source == missing and gone.data is None
    assert isinstance(gone.error, InputError) and gone.error.source == missing
    assert str(gone.error) == f"no such file or directory: {missing} — check the path"
    assert found.data == CMD


def test_file_size_cap(tmp_path, monkeypatch):
    path = tmp_path / "big.hex"
    path.write_text(CMD.hex())
    reads = []
    monkeypatch.setattr("builtins.open", lambda *a, **k: reads.append(a))   # must not even open it
    [m] = iter_inputs([str(path)], max_file_size=10)
    assert m.data is None and "larger than the 10-byte input limit" in str(m.error) and not reads
    monkeypatch.undo()
    [m] = iter_inputs([str(path)], max_file_size=len(CMD.hex()))
    assert m.data == CMD


def test_stdin_size_cap():
    [m] = iter_inputs(["-"], stdin=io.BytesIO(b"00" * 100), max_file_size=199)
    assert m.source == "<stdin>" and m.data is None and "limit" in str(m.error)


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.hex"
    path.write_text(CMD.hex())

    def refuse(*args, **kwargs):   # chmod 0 would not stop root, so refuse the open itself
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("builtins.open", refuse)
    [m] = iter_inputs([str(path)])
    assert m.data is None and str(m.error) == f"cannot read {path}: Permission denied"


def test_never_crashes_on_any_bytes():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.one_of(st.binary(max_size=200),
                                st.text(alphabet="0123456789abcdefxX:# \t\r\n=+/<>&;GBCSPayload", max_size=200)
                                .map(str.encode)))
    def check(blob):
        for m in read_bytes(blob, "f"):
            assert (m.data is None) == (m.error is not None)
            assert m.encoding in {"hex", "base64", "binary", "xml"}

    check()


def test_plain_hex_lines_read_as_the_general_path_reads_them():
    """A line of hex digits alone takes a shortcut (bytes.fromhex, no pattern); lines with
    separators, whitespace fromhex would skip, odd digits or other characters do not."""
    from gbcs.io.inputs import _decode_line
    assert _decode_line("DF09aB", 1) == ("hex", bytes.fromhex("DF09AB"), None)
    assert _decode_line("DF 09", 1) == ("hex", bytes.fromhex("DF09"), None)          # a separator
    assert _decode_line("0a\r0b", 1)[0] == "base64"        # whitespace fromhex skips is not a separator
    assert _decode_line("0a\x0b0b", 1)[0] == "base64"
    assert _decode_line("DF0", 1)[2] is not None                                      # odd digits
    assert _decode_line("QUJD", 1) == ("base64", b"ABC", None)
    assert _decode_line("éé", 1)[0] == "?"
