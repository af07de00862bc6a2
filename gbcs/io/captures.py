"""GBCS messages in pcap and pcapng captures, found where Wireshark's GBCS dissector finds them.

- DLT_USER0..15 frames: the frame is one raw GBCS message (or GBT block).
- Ethernet / Linux cooked / raw IP frames: UDP datagrams and TCP streams on ports the user
  names (`CaptureOptions`); TCP segments are put back in order per direction and the stream is
  cut into messages by their own lengths.
- IEEE 802.15.4 frames: ZigBee Smart Energy Tunneling-cluster TransferData, when the MAC, NWK
  and APS layers are not encrypted; the tunnel header byte (PUT, GET-RESPONSE) is removed.

Frames are read one at a time (dpkt), so a capture of any size streams. Each message keeps the
capture timestamp and frame number. Link types and ZigBee numbers: specs/captures.gbspec.
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterator

import dpkt

from gbcs.errors import DecodeError, GbcsError
from gbcs.io.inputs import PCAP_MAGICS, PCAPNG_MAGIC, is_capture  # noqa: F401  (where they were)
from gbcs.spec import specs

MAX_STREAM_BUFFER = 16 * 1024 * 1024     # a TCP direction holding more undecodable bytes is given up


@dataclass(frozen=True)
class CaptureOptions:
    """Where to look for GBCS besides DLT_USER and ZigBee frames."""
    udp_ports: frozenset[int] = frozenset()
    tcp_ports: frozenset[int] = frozenset()


@dataclass
class Found:
    """One message (or a problem) found in a capture."""
    data: bytes | None
    frame: int
    timestamp: float
    where: str                          # "dlt_user", "udp 10.0.0.1:5000", "tcp …", "zigbee tunnel"
    error: str | None = None


def _links(s) -> dict[int, tuple[str, int]]:
    return {r.cells["linktype"]: (r.cells["carrier"], r.cells["fcs"]) for r in s.get("capture_link", "links").rows}


def _tunnel(s) -> dict[int, tuple[int, bool]]:
    return {r.cells["byte"]: (r.cells["skip"], r.cells["carries"]) for r in s.get("tunnel_header", "gbcs").rows}


def _zigbee(s) -> dict[str, int]:
    return {name: r.cells["value"] for name, r in s.get("zigbee_fact", "zigbee").by_key.items()}


def read_capture(stream: BinaryIO, options: CaptureOptions = CaptureOptions()) -> Iterator[Found]:
    """Every GBCS message in a pcap or pcapng stream, in capture order (TCP: as a stream completes
    a message). Never raises for a bad capture: problems are Found items with an error."""
    try:
        reader = dpkt.pcap.UniversalReader(stream)
    except (ValueError, dpkt.dpkt.Error, struct.error) as exc:
        yield Found(None, 0, 0.0, "capture", f"not a readable pcap/pcapng capture: {exc}")
        return
    linktype = reader.datalink()
    carrier, fcs = specs().derived(_links).get(linktype, (None, 0))
    if carrier is None:
        yield Found(None, 0, 0.0, "capture", f"link type {linktype} is not one gbcs reads (raw GBCS in DLT_USER, "
                                             "Ethernet, Linux cooked, raw IP, IEEE 802.15.4)")
        return
    streams: dict[tuple, _TcpStream] = {}
    frame = 0
    try:
        for ts, buf in reader:
            frame += 1
            if fcs and len(buf) > fcs:
                buf = buf[:-fcs]
            if carrier == "user":
                yield Found(bytes(buf), frame, float(ts), "dlt_user")
            elif carrier == "ieee802154":
                yield from _zigbee_frame(buf, frame, float(ts))
            else:
                yield from _ip_frame(carrier, buf, frame, float(ts), options, streams)
    except (ValueError, dpkt.dpkt.Error, struct.error) as exc:
        yield Found(None, frame + 1, 0.0, "capture", f"the capture is damaged after frame {frame}: {exc}")
    for s in streams.values():
        yield from s.close()


# -- IP -------------------------------------------------------------------------------------

def _ip_frame(carrier: str, buf: bytes, frame: int, ts: float, options: CaptureOptions,
              streams: dict) -> Iterator[Found]:
    try:
        if carrier == "ethernet":
            ip = dpkt.ethernet.Ethernet(buf).data
        elif carrier == "sll":
            ip = dpkt.sll.SLL(buf).data
        else:
            ip = dpkt.ip.IP(buf) if buf[:1] and buf[0] >> 4 == 4 else dpkt.ip6.IP6(buf)
    except (dpkt.dpkt.Error, struct.error, ValueError, IndexError):
        return
    if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
        return
    l4 = ip.data
    src, dst = _addr(ip.src), _addr(ip.dst)
    if isinstance(l4, dpkt.udp.UDP) and ({l4.sport, l4.dport} & options.udp_ports):
        if l4.data:
            yield Found(bytes(l4.data), frame, ts, f"udp {src}:{l4.sport} -> {dst}:{l4.dport}")
    elif isinstance(l4, dpkt.tcp.TCP) and ({l4.sport, l4.dport} & options.tcp_ports):
        key = (src, l4.sport, dst, l4.dport)
        s = streams.get(key)
        if s is None:
            s = streams[key] = _TcpStream(f"tcp {src}:{l4.sport} -> {dst}:{l4.dport}")
        yield from s.segment(l4, frame, ts)


def _addr(raw: bytes) -> str:
    try:
        return str(ipaddress.ip_address(bytes(raw)))
    except ValueError:
        return raw.hex()


class _TcpStream:
    """One direction of a TCP connection: segments in sequence order, cut into messages."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.next_seq: int | None = None
        self.pending: dict[int, tuple[bytes, int, float]] = {}   # out-of-order segments by seq
        self.buffer = bytearray()
        self.first_frame = 0
        self.first_ts = 0.0

    def segment(self, tcp, frame: int, ts: float) -> Iterator[Found]:
        if tcp.flags & dpkt.tcp.TH_SYN:
            self.next_seq = (tcp.seq + 1) & 0xFFFFFFFF
        data = bytes(tcp.data)
        if not data:
            return
        if self.next_seq is None:
            self.next_seq = tcp.seq
        self.pending[tcp.seq] = (data, frame, ts)
        while self.next_seq in self.pending:
            chunk, f, t = self.pending.pop(self.next_seq)
            if not self.buffer:
                self.first_frame, self.first_ts = f, t
            self.buffer += chunk
            self.next_seq = (self.next_seq + len(chunk)) & 0xFFFFFFFF
            yield from self._cut(f, t)
        # retransmissions of data already taken are dropped
        for seq in [q for q in self.pending if _before(q, self.next_seq)]:
            del self.pending[seq]

    def _cut(self, frame: int, ts: float) -> Iterator[Found]:
        while self.buffer:
            size = message_extent(bytes(self.buffer))
            if size is None:
                if len(self.buffer) > MAX_STREAM_BUFFER:
                    yield Found(None, self.first_frame, self.first_ts, self.where,
                                f"{len(self.buffer)} bytes of this TCP stream form no GBCS message; given up")
                    self.buffer.clear()
                return
            if size <= 0:                 # not a message start: report and drop the stream's bytes
                yield Found(None, self.first_frame, self.first_ts, self.where,
                            f"the TCP stream does not start a GBCS message here (byte 0x{self.buffer[0]:02X}); "
                            "is the port right?")
                self.buffer.clear()
                return
            yield Found(bytes(self.buffer[:size]), self.first_frame, self.first_ts, self.where)
            del self.buffer[:size]
            self.first_frame, self.first_ts = frame, ts

    def close(self) -> Iterator[Found]:
        if self.buffer:
            # an incomplete last message: the decoder will say what is missing
            yield Found(bytes(self.buffer), self.first_frame, self.first_ts, self.where)
            self.buffer.clear()
        if self.pending:
            first = min(self.pending.values(), key=lambda p: p[1])
            yield Found(None, first[1], first[2], self.where,
                        f"{len(self.pending)} TCP segment(s) after a gap in the stream were never completed")


def _before(a: int, b: int) -> bool:
    return ((b - a) & 0xFFFFFFFF) < 0x80000000 and a != b


def message_extent(buf: bytes) -> int | None:
    """Bytes of the first message in `buf`: >0 its length, 0 when buf does not start a message,
    None when more bytes are needed. Uses the envelope's own lengths, through the decoder."""
    from gbcs.decoding import decode
    tags = {r.cells["name"]: r.cells["value"] for r in specs().enum("apdu_tag").rows}
    if not buf or buf[0] not in tags.values():
        return 0
    if buf[0] == tags["general_ciphering"]:   # also GBT blocks: its length says it all
        return _ciphering_extent(buf)
    try:
        decode(buf, payloads=False)
        return len(buf)
    except DecodeError as exc:
        if exc.rule == "GBCS-D005" and exc.field == "message" and 0 < exc.offset < len(buf):
            return exc.offset
        if exc.rule in ("GBCS-D001", "GBCS-D002"):
            return None
        return len(buf)                   # a malformed message: hand it over whole, the decoder reports it
    except GbcsError:
        return len(buf)


def _ciphering_extent(buf: bytes) -> int | None:
    # DLMS general-ciphering: tag, five length-prefixed octet strings (transaction id, originator
    # and recipient system titles, date-time, other information), key-info, then the BER length
    # of the ciphered content that ends the APDU.
    pos = 1
    for _ in range(5):
        if pos >= len(buf):
            return None
        pos += 1 + buf[pos]
    pos += 1                              # key-info
    if pos >= len(buf):
        return None
    first = buf[pos]
    if first < 0x80:
        length, pos = first, pos + 1
    else:
        n = first & 0x7F
        if n == 0 or n > 4:
            return len(buf)
        if pos + 1 + n > len(buf):
            return None
        length, pos = int.from_bytes(buf[pos + 1:pos + 1 + n], "big"), pos + 1 + n
    end = pos + length
    return end if end <= len(buf) else None


# -- ZigBee -----------------------------------------------------------------------------------

def _zigbee_frame(buf: bytes, frame: int, ts: float) -> Iterator[Found]:
    payload = zigbee_tunnel_data(bytes(buf))
    if payload is None:
        return
    skip, carries = specs().derived(_tunnel).get(payload[0], (0, False)) if payload else (0, False)
    if carries and len(payload) > skip:
        yield Found(payload[skip:], frame, ts, "zigbee tunnel")


def zigbee_tunnel_data(frame: bytes) -> bytes | None:
    """The data of a ZigBee SE Tunneling-cluster TransferData in an 802.15.4 frame (no FCS), or
    None when the frame is something else or a layer is encrypted (then nothing can be read)."""
    z = specs().derived(_zigbee)
    try:
        # IEEE 802.15.4 MAC: frame control (LE): type bits 0-2, security bit 3, PAN-id
        # compression bit 6, destination / source addressing modes bits 10-11 / 14-15
        fc = int.from_bytes(frame[0:2], "little")
        if fc & 0x7 != 1 or fc & 0x8:
            return None
        pos = 3
        dst_mode, src_mode = (fc >> 10) & 3, (fc >> 14) & 3
        sizes = {0: 0, 2: 2, 3: 8}
        if dst_mode:
            pos += 2 + sizes[dst_mode]
        if src_mode:
            pos += (0 if fc & 0x40 else 2) + sizes[src_mode]
        # ZigBee NWK: frame control (LE): type bits 0-1, security bit 9, source route bit 10,
        # destination / source IEEE address bits 11 / 12, multicast bit 8
        nfc = int.from_bytes(frame[pos:pos + 2], "little")
        if nfc & 0x3 != 0 or nfc & 0x200:
            return None
        pos += 8
        pos += 8 if nfc & 0x800 else 0
        pos += 8 if nfc & 0x1000 else 0
        pos += 1 if nfc & 0x100 else 0
        if nfc & 0x400:
            relays = frame[pos]
            pos += 2 + 2 * relays
        # APS: frame control: type bits 0-1, delivery mode bits 2-3, security bit 5, extended header bit 7
        afc = frame[pos]
        if afc & 0x3 != 0 or afc & 0x20 or afc & 0x80:
            return None
        pos += 1
        delivery = (afc >> 2) & 3
        pos += 2 if delivery == 3 else 1
        cluster = int.from_bytes(frame[pos:pos + 2], "little")
        profile = int.from_bytes(frame[pos + 2:pos + 4], "little")
        pos += 4 + 1 + 1                  # cluster, profile, source endpoint, APS counter
        if cluster != z["tunneling_cluster"] or profile != z["se_profile"]:
            return None
        # ZCL: frame control (type bits 0-1, manufacturer bit 2, direction bit 3), sequence, command
        zfc = frame[pos]
        pos += 1 + (2 if zfc & 0x4 else 0) + 1
        command = frame[pos]
        pos += 1
        to_client = bool(zfc & 0x8)
        wanted = z["transfer_data_to_client"] if to_client else z["transfer_data_to_server"]
        if zfc & 0x3 != 1 or command != wanted:
            return None
        pos += 2                          # tunnel id
        data = frame[pos:]
        return data if data else None
    except (IndexError, KeyError):
        return None


__all__ = ["CaptureOptions", "Found", "is_capture", "message_extent", "read_capture", "zigbee_tunnel_data"]
