"""Messages and captures built on the spot with gbcs's own encoder and dpkt's writers, for the
flow tests (tests/flow) and the capture-input tests (tests/io): like tests/crypto/crypto_world.py,
a world of built inputs, kept at tests/ so both folders import it.

Parties are made-up EUIs; non-critical alerts and responses are MAC'd and unsigned
(signature length 00), critical ones signed with a made-up key; without a keystore the validator
checks neither MAC nor signature. Times are seconds from T0.
"""
from __future__ import annotations

import io
import os
from datetime import datetime, timezone

import dpkt
from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.builder import Envelope, general_signing, mac_wrap, precommand
from gbcs.crypto import sign_precommand
from gbcs.payload import asn1, dlms

SUPPLIER = bytes.fromhex("AB00000000010000")
ESME = bytes.fromhex("AB000000000000E1")
ESME2 = bytes.fromhex("AB000000000000E2")
READ_FIRMWARE = 0x0059            # ECS52 read ESME firmware version: a DLMS get
ACTIVATE_FIRMWARE = 0x0012        # CS06
GENERIC_ALERT = 0x1001            # Generic Non Critical Alert (DLMS)
SUPPLY_OUTAGE_RESTORED = 0x8F35
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc).timestamp()
SIGNER = ec.derive_private_key(0x5EED, ec.SECP256R1())
UNCHECKED_MAC = bytes(12)         # without a keystore the MAC is not checked


def when(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, timezone.utc)


def read_command(counter: int, device: bytes = ESME, requester: bytes = SUPPLIER) -> bytes:
    env = Envelope("command", counter, requester, device, READ_FIRMWARE)
    get = dlms.build_access_request([("get", 1, "0-0:0.2.1.255", 2)], invoke_id=counter & 0xFFFFFF)
    return mac_wrap(general_signing(env, get, b""), UNCHECKED_MAC)


def read_response(counter: int, device: bytes = ESME, requester: bytes = SUPPLIER, ok: bool = True,
                  code: int = READ_FIRMWARE) -> bytes:
    env = Envelope("response", counter, device, requester, code)
    reply = dlms.build_access_response([b"\x01\x23\xAB\xCD" if ok else None], [("get", 0 if ok else "hardware_fault")],
                                       invoke_id=counter & 0xFFFFFF)
    return mac_wrap(general_signing(env, reply, b""), UNCHECKED_MAC)


def critical_pair(counter: int, device: bytes = ESME) -> tuple[bytes, bytes]:
    """(pre-command, signed command) of a DLMS set, as a DCC user signs it."""
    env = Envelope("command", counter, SUPPLIER, device, 0x001C)
    content = dlms.build_access_request([("set", 1, "0-0:96.58.1.255", 2)], [b"\x00\x00\x01\x00"],
                                        invoke_id=counter & 0xFFFFFF)
    pre = precommand(env, content)
    return pre, mac_wrap(sign_precommand(pre, SIGNER), UNCHECKED_MAC)


def critical_response(counter: int, device: bytes = ESME, ok: bool = True) -> bytes:
    env = Envelope("response", counter, device, SUPPLIER, 0x001C)
    reply = dlms.build_access_response([], [("set", 0 if ok else "hardware_fault")], invoke_id=counter & 0xFFFFFF)
    return sign_precommand(precommand(env, reply), SIGNER)      # a critical use case's response is signed


def activate_firmware(counter: int, device: bytes = ESME) -> bytes:
    env = Envelope("command", counter, SUPPLIER, device, ACTIVATE_FIRMWARE)
    pre = precommand(env, asn1.build_activate_firmware_command(bytes(32), counter))
    return mac_wrap(sign_precommand(pre, SIGNER), UNCHECKED_MAC)


def alert(counter: int, code: int = SUPPLY_OUTAGE_RESTORED, device: bytes = ESME, at: float = 0.0) -> bytes:
    env = Envelope("alert", counter, device, SUPPLIER, GENERIC_ALERT)
    return mac_wrap(general_signing(env, dlms.build_alert(code, when(at), invoke_id=counter & 0xFFFFFF), b""),
                    UNCHECKED_MAC)


# -- captures ---------------------------------------------------------------------------------

def pcap_user(frames: list[tuple[float, bytes]], ng: bool = False, linktype: int = 147) -> bytes:
    """A pcap (or pcapng) of DLT_USER0 frames, each one raw message; times are seconds from T0."""
    out = io.BytesIO()
    writer = (dpkt.pcapng.Writer if ng else dpkt.pcap.Writer)(out, linktype=linktype)
    for t, data in frames:
        writer.writepkt(data, ts=T0 + t)
    return out.getvalue()


def _eth(l4, src: str = "10.0.0.1", dst: str = "10.0.0.2", proto: int = dpkt.ip.IP_PROTO_UDP) -> bytes:
    ip = dpkt.ip.IP(src=bytes(map(int, src.split("."))), dst=bytes(map(int, dst.split("."))), p=proto, data=l4)
    ip.len = len(ip)
    return bytes(dpkt.ethernet.Ethernet(src=b"\x02" * 6, dst=b"\x04" * 6, type=dpkt.ethernet.ETH_TYPE_IP, data=ip))


def pcap_udp(frames: list[tuple[float, bytes]], port: int = 5000) -> bytes:
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, linktype=1)
    for t, data in frames:
        udp = dpkt.udp.UDP(sport=40000, dport=port, data=data)
        udp.ulen = len(udp)
        writer.writepkt(_eth(udp), ts=T0 + t)
    return out.getvalue()


def pcap_tcp(messages: list[bytes], port: int = 6000, segment: int = 37, shuffle: bool = True) -> bytes:
    """One TCP direction carrying `messages` back to back, cut into small segments; with
    `shuffle`, every pair of segments is swapped to test reordering."""
    stream = b"".join(messages)
    seq0 = 1000
    segs = [(seq0 + 1 + i, stream[i:i + segment]) for i in range(0, len(stream), segment)]
    if shuffle:
        for i in range(0, len(segs) - 1, 2):
            segs[i], segs[i + 1] = segs[i + 1], segs[i]
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, linktype=1)
    syn = dpkt.tcp.TCP(sport=40001, dport=port, seq=seq0, flags=dpkt.tcp.TH_SYN)
    writer.writepkt(_eth(syn, proto=dpkt.ip.IP_PROTO_TCP), ts=T0)
    for n, (seq, data) in enumerate(segs, 1):
        tcp = dpkt.tcp.TCP(sport=40001, dport=port, seq=seq, flags=dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH, data=data)
        writer.writepkt(_eth(tcp, proto=dpkt.ip.IP_PROTO_TCP), ts=T0 + n)
    # a retransmission of the first segment changes nothing
    tcp = dpkt.tcp.TCP(sport=40001, dport=port, seq=seq0 + 1, flags=dpkt.tcp.TH_ACK, data=stream[:segment])
    writer.writepkt(_eth(tcp, proto=dpkt.ip.IP_PROTO_TCP), ts=T0 + len(segs) + 1)
    return out.getvalue()


def zigbee_frame(message: bytes, tunnel_header: bytes = b"\x03", to_client: bool = False,
                 nwk_secured: bool = False) -> bytes:
    """An IEEE 802.15.4 data frame (with a 2-byte FCS) holding ZigBee NWK, APS and a ZCL
    Tunneling-cluster TransferData whose data is `tunnel_header` + the message."""
    mac = bytes([0x41, 0x88, 0x01]) + b"\x34\x12" + b"\x00\x00" + b"\x01\x00"     # data, PAN comp., short addrs
    nwk_fc = 0x0008 | (0x0200 if nwk_secured else 0)
    nwk = nwk_fc.to_bytes(2, "little") + b"\x00\x00\x01\x00" + b"\x1e\x05"
    aps = bytes([0x00, 0x01]) + (0x0704).to_bytes(2, "little") + (0x0109).to_bytes(2, "little") + b"\x01\x07"
    zcl = bytes([0x09 if to_client else 0x01, 0x11, 0x01 if to_client else 0x02]) + b"\x05\x00"
    return mac + nwk + aps + zcl + tunnel_header + message + b"\xAA\xBB"


def write(tmp_path, name: str, data: bytes | str) -> str:
    path = os.path.join(tmp_path, name)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path
