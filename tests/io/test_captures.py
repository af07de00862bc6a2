"""Captures and hex dumps as inputs: every format on files the tests build (dpkt's writers, the
dump tools where installed, text2pcap and tshark where installed)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from flow_world import (ESME2, T0, alert, pcap_tcp, pcap_udp, pcap_user, read_command, read_response, write,
                        zigbee_frame)
from gbcs.builder import Envelope, gbt_blocks
from gbcs.io.captures import CaptureOptions, message_extent
from gbcs.io.inputs import iter_inputs

MESSAGES = [read_command(1), read_response(1), alert(7, device=ESME2)]


def read(path, **ports):
    return list(iter_inputs([path], capture=CaptureOptions(**{k: frozenset(v) for k, v in ports.items()})))


@pytest.mark.parametrize("ng", [False, True], ids=["pcap", "pcapng"])
def test_dlt_user_frames(tmp_path, ng):
    path = write(tmp_path, "user.pcapng" if ng else "user.pcap",
                 pcap_user([(i * 1.5, m) for i, m in enumerate(MESSAGES)], ng=ng))
    found = read(path)
    assert [m.data for m in found] == MESSAGES
    assert [m.frame for m in found] == [1, 2, 3]
    assert [m.timestamp for m in found] == pytest.approx([T0, T0 + 1.5, T0 + 3.0])
    assert found[1].source == f"{path}#2" and found[0].encoding == "capture"


def test_capture_found_by_magic_without_suffix(tmp_path):
    path = write(tmp_path, "capture.bin", pcap_user([(0, MESSAGES[0])]))
    [m] = read(path)
    assert m.data == MESSAGES[0] and m.frame == 1


def test_udp_on_named_port(tmp_path):
    path = write(tmp_path, "udp.pcap", pcap_udp([(i, m) for i, m in enumerate(MESSAGES)], port=5000))
    assert [m.data for m in read(path, udp_ports={5000})] == MESSAGES
    [nothing] = read(path)                          # no port named: says how to name one
    assert nothing.data is None and "--udp-port" in nothing.error.message


def test_tcp_stream_reassembled(tmp_path):
    gbt = gbt_blocks(read_response(2) + b"", Envelope("response", 2, ESME2, bytes(8), 0x0059), 40)
    stream = MESSAGES + gbt
    path = write(tmp_path, "tcp.pcap", pcap_tcp(stream, port=6000, segment=37))
    found = read(path, tcp_ports={6000})
    assert [m.data for m in found] == stream
    assert all(m.frame and m.timestamp for m in found)


def test_tcp_stream_cut_short_reports_the_rest(tmp_path):
    path = write(tmp_path, "short.pcap", pcap_tcp([MESSAGES[0], MESSAGES[1][:30]], port=6000, shuffle=False))
    found = read(path, tcp_ports={6000})
    assert found[0].data == MESSAGES[0] and found[1].data == MESSAGES[1][:30]


def test_zigbee_tunnel(tmp_path):
    import dpkt
    import io
    out = io.BytesIO()
    w = dpkt.pcap.Writer(out, linktype=195)
    w.writepkt(zigbee_frame(MESSAGES[0], b"\x03"), ts=T0)                         # PUT
    w.writepkt(zigbee_frame(MESSAGES[1], b"\x02\x00", to_client=True), ts=T0 + 1)  # GET-RESPONSE, 0 queued
    w.writepkt(zigbee_frame(b"", b"\x01"), ts=T0 + 2)                             # GET: no message
    w.writepkt(zigbee_frame(MESSAGES[2], b"\x03", nwk_secured=True), ts=T0 + 3)   # encrypted: unreadable
    path = write(tmp_path, "zigbee.pcap", out.getvalue())
    assert [m.data for m in read(path)] == MESSAGES[:2]


def test_damaged_capture_is_an_input_error(tmp_path):
    data = pcap_user([(0, MESSAGES[0]), (1, MESSAGES[1])])
    path = write(tmp_path, "cut.pcap", data[:-10])
    found = read(path)
    assert found[0].data == MESSAGES[0]
    # the cut frame is handed over short: decoding it says what is missing
    from gbcs.errors import GbcsError
    with pytest.raises(GbcsError, match="truncated|ends before|only"):
        import gbcs
        gbcs.decode(found[-1].data)
    path = write(tmp_path, "header.pcap", data[:30])              # not even a whole pcap header
    [m] = read(path)
    assert m.data is None and m.error is not None


def test_unknown_link_type(tmp_path):
    path = write(tmp_path, "odd.pcap", pcap_user([(0, MESSAGES[0])], linktype=105))
    [m] = read(path)
    assert m.data is None and "link type 105" in m.error.message


def test_message_extent():
    a, b = MESSAGES[0], MESSAGES[1]
    assert message_extent(a + b) == len(a)
    assert message_extent(b + a) == len(b)
    assert message_extent(a[:20]) is None
    assert message_extent(b"\x00\x01") == 0


# -- hex dumps ----------------------------------------------------------------------------------

def xxd_text(data: bytes) -> str:
    lines = []
    for at in range(0, len(data), 16):
        chunk = data[at:at + 16]
        groups = " ".join(chunk[i:i + 2].hex() for i in range(0, len(chunk), 2))
        lines.append(f"{at:08x}: {groups:<39}  {''.join(chr(c) if 32 <= c < 127 else '.' for c in chunk)}")
    return "\n".join(lines) + "\n"


def hexdump_c_text(data: bytes) -> str:
    lines, previous, starred = [], None, False
    for at in range(0, len(data), 16):
        chunk = data[at:at + 16]
        if chunk == previous and len(chunk) == 16:
            if not starred:
                lines.append("*")
                starred = True
            continue
        previous, starred = chunk, False
        left, right = chunk[:8].hex(" "), chunk[8:].hex(" ")
        lines.append(f"{at:08x}  {left:<23}  {right:<23}  |{''.join(chr(c) if 32 <= c < 127 else '.' for c in chunk)}|")
    lines.append(f"{len(data):08x}")
    return "\n".join(lines) + "\n"


def od_text(data: bytes) -> str:
    lines = [f"{at:06x} " + chunk.hex(" ") for at in range(0, len(data), 16) for chunk in [data[at:at + 16]]]
    return "\n".join(lines + [f"{len(data):06x}"]) + "\n"


def wireshark_text(data: bytes, base: int = 0) -> str:
    lines = []
    for at in range(0, len(data), 16):
        chunk = data[at:at + 16]
        ascii_ = "".join(chr(c) if 32 <= c < 127 else "." for c in chunk)
        lines.append(f"{base + at:04x}   {chunk.hex(' '):<47}   {ascii_}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("render", [xxd_text, hexdump_c_text, od_text, wireshark_text])
def test_dump_formats(tmp_path, render):
    path = write(tmp_path, "dump.txt", render(MESSAGES[0]))
    [m] = read(path)
    assert m.data == MESSAGES[0] and m.encoding == "hex-dump" and m.error is None


def test_several_dumps_in_one_file(tmp_path):
    path = write(tmp_path, "dumps.txt", xxd_text(MESSAGES[0]) + "\n" + xxd_text(MESSAGES[1]))
    assert [m.data for m in read(path)] == MESSAGES[:2]


def test_wireshark_field_copy_with_frame_offsets(tmp_path):
    path = write(tmp_path, "field.txt", wireshark_text(MESSAGES[1], base=0x2A))
    assert [m.data for m in read(path)] == [MESSAGES[1]]


def test_hexdump_repeats_are_expanded(tmp_path):
    data = MESSAGES[0][:16] + bytes(64) + MESSAGES[0][16:]
    text = hexdump_c_text(data)
    assert "*" in text
    [m] = read(write(tmp_path, "rep.txt", text))
    assert m.data == data


def test_plain_hex_lines_are_not_taken_for_dumps(tmp_path):
    path = write(tmp_path, "plain.txt", "\n".join(m.hex(" ").upper() for m in MESSAGES) + "\n")
    found = read(path)
    assert [m.data for m in found] == MESSAGES and {m.encoding for m in found} == {"hex"}


@pytest.mark.parametrize("tool, args", [("xxd", []), ("hexdump", ["-C"]), ("od", ["-Ax", "-tx1", "-v"])])
def test_dumps_made_by_the_real_tools(tmp_path, tool, args):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    binary = write(tmp_path, "m.bin", MESSAGES[1])
    text = subprocess.run([tool, *args, binary], capture_output=True, text=True, check=True).stdout
    [m] = read(write(tmp_path, "m.txt", text))
    assert m.data == MESSAGES[1]


# -- the same messages as Wireshark's tools see them -------------------------------------------

def test_text2pcap_capture(tmp_path):
    if shutil.which("text2pcap") is None:
        pytest.skip("text2pcap is not installed (Debian package tshark/wireshark-common)")
    dump = "".join(od_text(m) for m in MESSAGES)     # text2pcap reads od -Ax -tx1, one frame per offset 0
    src = write(tmp_path, "frames.txt", dump)
    out = os.path.join(tmp_path, "t2p.pcap")
    subprocess.run(["text2pcap", "-q", "-u", "40000,5000", src, out], check=True, capture_output=True)
    assert [m.data for m in read(out, udp_ports={5000})] == MESSAGES
    user = os.path.join(tmp_path, "t2p-user.pcapng")
    subprocess.run(["text2pcap", "-q", "-n", "-l", "147", src, user], check=True, capture_output=True)
    assert [m.data for m in read(user)] == MESSAGES


def test_tshark_sees_the_same_messages(tmp_path):
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed (Debian package tshark)")
    path = write(tmp_path, "udp.pcap", pcap_udp([(i, m) for i, m in enumerate(MESSAGES)], port=5000))
    run = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "udp.payload"],
                         capture_output=True, text=True, check=True, env={**os.environ, "HOME": str(tmp_path)})
    theirs = [(int(n), bytes.fromhex(p.replace(":", ""))) for n, p in
              (line.split("\t") for line in run.stdout.splitlines() if line.strip())]
    ours = [(m.frame, m.data) for m in read(path, udp_ports={5000})]
    assert ours == theirs


def test_ascii_column_that_looks_like_hex(tmp_path):
    data = MESSAGES[0][:16] + b"deadbeefcafe0123" + MESSAGES[0][16:]
    [m] = read(write(tmp_path, "x.txt", xxd_text(data)))
    assert m.data == data


# -- bad input never raises ------------------------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_after_a_pcap_header_never_raise(tail):
    import io
    from gbcs.io.captures import read_capture
    for link in (147, 1, 195):
        header = pcap_user([], linktype=link)
        found = list(read_capture(io.BytesIO(header + tail), CaptureOptions(frozenset({5000}), frozenset({6000}))))
        assert all(f.data is not None or f.error for f in found)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_any_zigbee_frame_never_raises(frame):
    from gbcs.io.captures import zigbee_tunnel_data
    zigbee_tunnel_data(frame)
    message_extent(frame)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="0123456789abcdef :|*\t", max_size=60), max_size=8))
def test_any_dump_like_text_never_raises(lines):
    from gbcs.io.dumps import from_dump, looks_like_dump
    text = "\n".join(["00000000  dd 00"] + lines)
    looks_like_dump(text.split("\n"))
    for data, _, error, _ in from_dump(text):
        assert data is not None or error


def test_a_repeat_line_cannot_stand_for_a_huge_input():
    from gbcs.io.dumps import MAX_DUMP_BYTES, from_dump
    [(data, _, error, _)] = from_dump("00000000  dd 00\n*\n4732da4ac5")
    assert data is None and "repeated lines (*)" in error and f"{MAX_DUMP_BYTES:,}" in error
    [(data, _, error, _)] = from_dump("00000000  00 01\n*\n00000010  02")
    assert error is None and data == b"\x00\x01" * 8 + b"\x02"
