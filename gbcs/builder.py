"""Build GBCS envelopes from values: the encoder used for test messages and examples.

Payload bytes come from the family builders (gbcs.payload.dlms / gbz / asn1); this module
wraps them in the grouping header, signature field and MAC header (GBCS Section 4), built
from the struct items of specs/envelope.gbspec (the layouts the decoder walks), so tags,
fixed lengths and sizes come from the tables. Signatures and MACs are taken as given here;
gbcs.crypto computes real ones.
"""
from __future__ import annotations

from dataclasses import dataclass

from gbcs.errors import EncodeError
from gbcs.wire.codecs import minimal_ber_length

ber_length = minimal_ber_length


class _Facts:
    """What the encoder reads from specs/envelope.gbspec and specs/crypto.gbspec."""

    def __init__(self, s):
        def named(enum: str) -> dict[str, int]:
            return {r.cells["name"]: r.cells["value"] for r in s.enum(enum).rows}
        self.specs = s
        self.cra = named("cra_flag")
        self.security_control = named("security_control")
        self.date_time_length = named("date_time_length")
        self.gbt_control = named("gbt_block_control")
        self.size = {name: row.cells["bytes"] for name, row in s.get("envelope_size", "gbcs").by_key.items()}
        constants = s.get("crypto_constant", "gbcs").by_key
        self.mac_aad_filler = bytes.fromhex(constants["mac_aad_filler"].cells["hex"])


def _facts() -> _Facts:
    from gbcs.spec import specs
    return specs().derived(_Facts)


def _build(name: str, values: dict) -> bytes:
    from gbcs.compile.structs import build_struct
    return build_struct(_facts().specs, name, values)


def _size(name: str) -> int:
    return _facts().size[name]


def __getattr__(name: str):
    if name == "CRA":                 # kept for callers of the old constant: CRA names -> flags
        return dict(_facts().cra)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _cra(value: int | str) -> int:
    if isinstance(value, str):
        cra = _facts().cra
        if value not in cra:
            raise EncodeError(f"CRA flag {value!r} is not one of {', '.join(cra)}")
        return cra[value]
    return value


def _title(value: bytes | str, what: str) -> bytes:
    raw = bytes.fromhex(value.replace("-", "").replace(":", "")) if isinstance(value, str) else bytes(value)
    if len(raw) != _size("system_title"):
        raise EncodeError(f"{what} must be {_size('system_title')} bytes (an EUI-64), got {len(raw)}")
    return raw


def _routing(env: "Envelope", with_date_time: bool = True) -> dict:
    """The transaction id, system titles and date-time of a grouping or GBT routing header."""
    f = _facts()
    date_time = env.date_time if with_date_time else None
    if date_time is not None and len(env.date_time) != f.date_time_length["present"]:
        raise EncodeError(f"date_time must be {f.date_time_length['present']} bytes (DLMS date-time)")
    return {"transaction_id": {"cra_flag": _cra(env.cra), "originator_counter": env.counter},
            "originator": {"id": _title(env.originator, "originator")},
            "recipient": {"id": _title(env.recipient, "recipient")},
            "date_time": {"length": f.date_time_length["absent"] if date_time is None else len(date_time),
                          "value": date_time}}


def _other_information(parts: bytes) -> bytes:
    return ber_length(len(parts)) + parts


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
        out = _build("other_information_code", {"message_code": self.message_code})
        if self.srp_id is not None:
            out += _build("other_information_srp_id",
                          {"supplementary_remote_party_id": _title(self.srp_id, "srp_id")})
            if self.srp_counter is not None:
                out += _build("other_information_srp_counter",
                              {"supplementary_remote_party_counter": self.srp_counter})
                if self.supplementary_originator_counter is not None:
                    out += _build("other_information_soc",
                                  {"supplementary_originator_counter": self.supplementary_originator_counter})
                if self.certificate is not None:
                    out += self.certificate
        return out

    def grouping_header(self, content_length: int) -> bytes:
        return (_build("grouping_header", _routing(self)) + _other_information(self.other_information())
                + _build("content_length", {"content_length": content_length}))


def precommand(env: Envelope, content: bytes) -> bytes:
    """Grouping header + content, no signature field: what the DCC hands a user to sign."""
    return env.grouping_header(len(content)) + content


def signed_range(precommand_bytes: bytes) -> bytes:
    """The bytes a GBCS signature covers: the APDU from after the General-Signing tag to the end of content."""
    return precommand_bytes[1:]


def general_signing(env: Envelope, content: bytes, signature: bytes | None = b"") -> bytes:
    """The General-Signing APDU with its signature field: b"" gives 00, 64 bytes give 40 ‖ r‖s,
    None leaves the field out (a pre-command)."""
    apdu = precommand(env, content)
    if signature is None:
        return apdu
    if signature and len(signature) != _size("signature"):
        raise EncodeError(f"a signature is {_size('signature')} bytes (r‖s), got {len(signature)}")
    return apdu + _build("signature", {"length": len(signature), "value": bytes(signature) or None})


def _security_header(security_control: int | None, invocation_counter: int) -> bytes:
    if security_control is None:
        security_control = _facts().security_control["authenticated"]
    return _build("security_header", {"security_control": security_control,
                                      "invocation_counter": invocation_counter})


def mac_header(apdu_length: int, security_control: int | None = None, invocation_counter: int = 0) -> bytes:
    """MAC header and security header (security control: authentication only, by default)."""
    length = _size("security_header") + apdu_length + _size("mac")
    return _build("mac_header", {"ciphered_content_length": length}) + _security_header(security_control,
                                                                                         invocation_counter)


def mac_wrap(apdu: bytes, mac: bytes) -> bytes:
    """Wrap a General-Signing APDU in the MAC header and append the MAC."""
    if len(mac) != _size("mac"):
        raise EncodeError(f"a GBCS MAC is {_size('mac')} bytes, got {len(mac)}")
    return mac_header(len(apdu)) + apdu + _build("mac", {"mac": bytes(mac)})


def mac_aad(apdu: bytes) -> bytes:
    """Additional authenticated data of the GBCS MAC: security control + filler + the APDU."""
    f = _facts()
    return bytes([f.security_control["authenticated"]]) + f.mac_aad_filler + apdu


def gbt_blocks(message: bytes, env: Envelope, block_size: int = 256,
               security_control: int | None = None) -> list[bytes]:
    """Split a whole message into General-Block-Transfer blocks (numbered from 1)."""
    if block_size < 1:
        raise EncodeError("block_size must be positive")
    f = _facts()
    pieces = [message[i:i + block_size] for i in range(0, len(message), block_size)] or [b""]
    # the routing header carries no date-time (the message inside has its own)
    routing = (_build("gbt_routing_header", _routing(env, with_date_time=False))
               + _other_information(_build("other_information_code", {"message_code": env.message_code})))
    blocks = []
    for number, piece in enumerate(pieces, start=1):
        last = number == len(pieces)
        gbt = _build("gbt_header", {"block_control": f.gbt_control["last_block"] if last else 0,
                                    "block_number": number, "block_number_acknowledged": 0,
                                    "block_data_length": len(piece)}) + piece
        body = _security_header(security_control, 0) + gbt
        blocks.append(routing + _build("gbt_routing_tail", {"ciphered_content_length": len(body)}) + body)
    return blocks
