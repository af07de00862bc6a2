"""Build GBCS envelopes from values: the encoder used for test messages and examples.

Payload bytes come from the family builders (gbcs.payload.dlms / gbz / asn1); this module
wraps them in the grouping header, signature field and MAC header (GBCS Section 4).
Signatures and MACs are taken as given here; gbcs.crypto computes real ones.
"""
from __future__ import annotations

from dataclasses import dataclass

from gbcs.errors import EncodeError
from gbcs.wire.codecs import minimal_ber_length



def _size(name: str) -> int:
    from gbcs.spec import specs
    return specs().get("envelope_size", "gbcs").by_key[name].cells["bytes"]
CRA = {"command": 1, "response": 2, "alert": 3}


ber_length = minimal_ber_length


def _title(value: bytes | str, what: str) -> bytes:
    raw = bytes.fromhex(value.replace("-", "").replace(":", "")) if isinstance(value, str) else bytes(value)
    if len(raw) != 8:
        raise EncodeError(f"{what} must be 8 bytes (an EUI-64), got {len(raw)}")
    return raw


@dataclass
class Envelope:
    """The grouping-header facts of one message."""
    cra: int | str
    counter: int
    originator: bytes | str
    recipient: bytes | str
    message_code: int
    date_time: bytes | None = None              # 12-byte DLMS date-time, or None
    srp_id: bytes | str | None = None           # supplementary remote party id
    srp_counter: int | None = None
    supplementary_originator_counter: int | None = None
    certificate: bytes | None = None            # DER KA certificate of the SRP

    def other_information(self) -> bytes:
        out = self.message_code.to_bytes(2, "big")
        if self.srp_id is not None:
            out += _title(self.srp_id, "srp_id")
            if self.srp_counter is not None:
                out += self.srp_counter.to_bytes(8, "big")
                if self.supplementary_originator_counter is not None:
                    out += self.supplementary_originator_counter.to_bytes(8, "big")
                if self.certificate is not None:
                    out += self.certificate
        return out

    def grouping_header(self, content_length: int) -> bytes:
        cra = CRA[self.cra] if isinstance(self.cra, str) else self.cra
        date_time = b"\x00" if self.date_time is None else b"\x0c" + self.date_time
        if self.date_time is not None and len(self.date_time) != 12:
            raise EncodeError("date_time must be 12 bytes (DLMS date-time)")
        other = self.other_information()
        return (b"\xdf\x09" + bytes([cra]) + self.counter.to_bytes(8, "big")
                + b"\x08" + _title(self.originator, "originator")
                + b"\x08" + _title(self.recipient, "recipient")
                + date_time + ber_length(len(other)) + other + ber_length(content_length))


def precommand(env: Envelope, content: bytes) -> bytes:
    """DF grouping header + content, no signature field: what the DCC hands a user to sign."""
    return env.grouping_header(len(content)) + content


def signed_range(precommand_bytes: bytes) -> bytes:
    """The bytes a GBCS signature covers: the APDU from after the DF tag to the end of content."""
    return precommand_bytes[1:]


def general_signing(env: Envelope, content: bytes, signature: bytes | None = b"") -> bytes:
    """The General-Signing APDU with its signature field: b"" gives 00, 64 bytes give 40 ‖ r‖s,
    None leaves the field out (a pre-command)."""
    apdu = precommand(env, content)
    if signature is None:
        return apdu
    if signature and len(signature) != _size("signature"):
        raise EncodeError(f"a signature is {_size('signature')} bytes (r‖s), got {len(signature)}")
    return apdu + bytes([len(signature)]) + signature


def mac_header(apdu_length: int, security_control: int = 0x11, invocation_counter: int = 0) -> bytes:
    return (b"\xdd\x00\x00\x00\x00\x00\x00" + ber_length(_size("security_header") + apdu_length + _size("mac"))
            + bytes([security_control]) + invocation_counter.to_bytes(4, "big"))


def mac_wrap(apdu: bytes, mac: bytes) -> bytes:
    """Wrap a General-Signing APDU in the MAC header and append the 12-byte MAC."""
    if len(mac) != _size("mac"):
        raise EncodeError(f"a GBCS MAC is {_size('mac')} bytes, got {len(mac)}")
    return mac_header(len(apdu)) + apdu + mac


def mac_aad(apdu: bytes) -> bytes:
    """Additional authenticated data of the GBCS MAC: security header + 00 + the APDU."""
    return b"\x11\x00\x00\x00\x00\x00" + apdu


def gbt_blocks(message: bytes, env: Envelope, block_size: int = 256, security_control: int = 0x11) -> list[bytes]:
    """Split a whole message into General-Block-Transfer blocks (numbered from 1)."""
    if block_size < 1:
        raise EncodeError("block_size must be positive")
    cra = CRA[env.cra] if isinstance(env.cra, str) else env.cra
    pieces = [message[i:i + block_size] for i in range(0, len(message), block_size)] or [b""]
    blocks = []
    for number, piece in enumerate(pieces, start=1):
        last = number == len(pieces)
        routing = (b"\xdd\x09" + bytes([cra]) + env.counter.to_bytes(8, "big")
                   + b"\x08" + _title(env.originator, "originator") + b"\x08" + _title(env.recipient, "recipient")
                   + b"\x00" + b"\x02" + env.message_code.to_bytes(2, "big") + b"\x00")
        gbt = (b"\xe0" + bytes([0x80 if last else 0x00]) + number.to_bytes(2, "big") + b"\x00\x00"
               + ber_length(len(piece)) + piece)
        body = bytes([security_control]) + b"\x00\x00\x00\x00" + gbt
        blocks.append(routing + ber_length(len(body)) + body)
    return blocks
