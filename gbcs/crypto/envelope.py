"""The envelope facts cryptography needs: who, which counter, which bytes are signed and MAC'd.

Taken from a decoded Message (its header fields and extras) or, when the payload cannot be
decoded, read from the raw bytes here: only the MAC header and grouping header are walked, so
a signature or MAC can still be checked on a message whose content is malformed.
"""
from __future__ import annotations

from dataclasses import dataclass

from gbcs.errors import ConstraintError, LengthError, TruncatedError
from gbcs.message import Message

MAC_LENGTH = 12
SIGNATURE_LENGTH = 64
SECURITY_HEADER_LENGTH = 5


@dataclass
class Facts:
    data: bytes                     # the whole message (the carried one, for GBT)
    apdu_start: int                 # offset of the General-Signing tag DF
    apdu_end: int                   # end of the General-Signing APDU (signature field included)
    content_start: int
    content_end: int
    cra: int
    counter: int
    originator: bytes
    recipient: bytes
    message_code: int
    signature: bytes | None         # None: no signature field (pre-command); b"": 00
    mac: bytes | None               # None: no MAC header
    security_header: bytes | None = None
    srp_id: bytes | None = None
    srp_counter: int | None = None
    soc: int | None = None

    @property
    def signed_bytes(self) -> bytes:
        """From the byte after DF to the end of the content (GBCS 4.3.2)."""
        return self.data[self.apdu_start + 1:self.content_end]

    @property
    def apdu(self) -> bytes:
        return self.data[self.apdu_start:self.apdu_end]


def _ber(data: bytes, pos: int, field: str) -> tuple[int, int]:
    if pos >= len(data):
        raise TruncatedError("a length is missing", pos, field, needed=1, available=0)
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    if n == 0 or n > 4 or pos + 1 + n > len(data):
        raise ConstraintError(f"length byte 0x{first:02X} is not a usable definite length", pos, field)
    return int.from_bytes(data[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def _need(data: bytes, pos: int, n: int, field: str, limit: int | None = None) -> None:
    end = len(data) if limit is None else limit
    if pos + n > end:
        raise TruncatedError(f"needs {n} bytes", pos, field, needed=n, available=max(0, end - pos))


def from_bytes(data: bytes) -> Facts:
    """Walk only the envelope (not the payload) of a DD/DF message. Raises DecodeError."""
    pos, mac, sec = 0, None, None
    _need(data, 0, 1, "tag")
    if data[0] == 0xDD:
        _need(data, 0, 7, "mac_header")
        if data[1:7] != bytes(6):
            raise ConstraintError("a MAC header has six 00 bytes after DD (GBT blocks need decode())", 1,
                                  "mac_header")
        length, pos = _ber(data, 7, "mac_header.ciphered_content_length")
        if pos + length != len(data) or length < SECURITY_HEADER_LENGTH + MAC_LENGTH:
            raise LengthError("the ciphered-content length does not reach the end of the message", 7,
                              "mac_header.ciphered_content_length")
        sec = data[pos:pos + SECURITY_HEADER_LENGTH]
        pos += SECURITY_HEADER_LENGTH
        mac = data[-MAC_LENGTH:]
        limit = len(data) - MAC_LENGTH
    else:
        limit = len(data)
    start = pos
    _need(data, pos, 30, "grouping_header", limit)
    if data[pos] != 0xDF or data[pos + 1] != 9 or data[pos + 11] != 8 or data[pos + 20] != 8:
        raise ConstraintError("not a GBCS grouping header (DF 09 … 08 … 08 …)", pos, "grouping_header")
    cra = data[pos + 2]
    if cra not in (1, 2, 3):
        raise ConstraintError(f"CRA flag 0x{cra:02X} is not 01, 02 or 03", pos + 2,
                              "grouping_header.transaction_id.cra_flag")
    counter = int.from_bytes(data[pos + 3:pos + 11], "big")
    originator, recipient = data[pos + 12:pos + 20], data[pos + 21:pos + 29]
    pos += 29
    if data[pos] not in (0x00, 0x0C):
        raise ConstraintError(f"date-time length 0x{data[pos]:02X} is not 00 or 0C", pos,
                              "grouping_header.date_time.length")
    pos += 1 + data[pos]
    oi_len, pos = _ber(data, pos, "grouping_header.other_information.length")
    _need(data, pos, oi_len, "grouping_header.other_information", limit)
    oi = data[pos:pos + oi_len]
    pos += oi_len
    if len(oi) < 2:
        raise LengthError("other-information holds no message code", pos, "grouping_header.other_information")
    code = int.from_bytes(oi[:2], "big")
    n = len(oi)
    if 2 < n < 10 or 10 < n < 18 or (18 < n < 26 and oi[18] != 0x30):
        raise LengthError(f"other-information of {n} bytes is not a form GBCS allows (2, 10, 18, 26, "
                          "or 18 and a certificate)", pos - n, "grouping_header.other_information")
    srp_id = oi[2:10] if len(oi) >= 10 else None
    srp_counter = int.from_bytes(oi[10:18], "big") if len(oi) >= 18 else None
    # A certificate (30 …) may follow the SRP counter directly; otherwise 8 bytes of SOC come first.
    soc = int.from_bytes(oi[18:26], "big") if len(oi) >= 26 and not (oi[18] == 0x30 and len(oi) > 26) else None
    clen, pos = _ber(data, pos, "grouping_header.content_length")
    content_start, content_end = pos, pos + clen
    if content_end > limit:
        raise LengthError("the content runs past the end of the message", pos, "grouping_header.content_length")
    rest = data[content_end:limit]
    if not rest and mac is None:
        signature = None
    elif rest[:1] == b"\x00" and len(rest) == 1:
        signature = b""
    elif rest[:1] == b"\x40" and len(rest) == 1 + SIGNATURE_LENGTH:
        signature = rest[1:]
    else:
        raise ConstraintError("after the content comes nothing, 00, or 40 and a 64-byte signature",
                              content_end, "signature")
    return Facts(data, start, limit, content_start, content_end, cra, counter, originator, recipient, code,
                 signature, mac, sec, srp_id, srp_counter, soc)


def from_message(message: Message) -> Facts:
    """The facts of a decoded message (the carried message, for GBT blocks)."""
    m = message.inner or message
    x = m.extras
    data = m.data
    if data[:1] == b"\xdd":
        node = m.root.get("grouping_header")
        if node is not None:
            start = node.start
        else:
            _, p = _ber(data, 7, "mac_header.ciphered_content_length")
            start = p + SECURITY_HEADER_LENGTH
        mac = x.get("mac")
        end = len(data) - MAC_LENGTH
        sec = data[start - SECURITY_HEADER_LENGTH:start]
    else:
        start, mac, end, sec = 0, None, len(data), None
    return Facts(data, start, end, x["content_start"], x["content_end"], m.cra_flag, m.originator_counter,
                 m.originator, m.recipient, m.message_code, x.get("signature"), mac, sec,
                 x.get("srp_id"), x.get("srp_counter"), x.get("soc"))
