"""Find the encrypted parts of a message's content (GBCS 4.3.4; layouts GBZ 7.4, DLMS 6.3).

GBZ: every component whose control has the encrypted bit, and the one component after the
alert header of the alert bodies listed in specs/crypto.gbspec (GCS53). DLMS: in an
Access-Response or Data-Notification, every pair "array of protection parameters" followed by
an octet-string that starts with the payload security control byte (31) — the Access-Response
items `02 02 …` and the ECS68 alert's 3rd/4th elements both have that shape.

Only bytes present are read (every step is bounds-checked); a layout that does not fit ends
the search quietly — decoding the payload is the payload decoders' job, this only points at
ciphertext.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from gbcs.crypto._facts import facts
from gbcs.crypto.gcm import TAG_LENGTH

SECURITY_HEADER_LENGTH = 5
GBZ_PROFILE = b"\x01\x09"
MAX_DEPTH = 64


@dataclass
class EncryptedPart:
    family: str                     # gbz | dlms
    start: int                      # first byte of the security header (absolute offset)
    end: int                        # one past the tag
    context: dict = field(default_factory=dict)

    def security_control(self, data: bytes) -> int:
        return data[self.start]

    def invocation_counter(self, data: bytes) -> int:
        return int.from_bytes(data[self.start + 1:self.start + SECURITY_HEADER_LENGTH], "big")

    def ciphertext(self, data: bytes) -> bytes:
        return data[self.start + SECURITY_HEADER_LENGTH:self.end - TAG_LENGTH]

    def tag(self, data: bytes) -> bytes:
        return data[self.end - TAG_LENGTH:self.end]


class _Stop(Exception):
    """The bytes do not follow the layout: stop looking."""


def _u16(data: bytes, pos: int, end: int) -> int:
    if pos + 2 > end:
        raise _Stop
    return int.from_bytes(data[pos:pos + 2], "big")


def _byte(data: bytes, pos: int, end: int) -> int:
    if pos >= end:
        raise _Stop
    return data[pos]


# -- GBZ ------------------------------------------------------------------------------------

def _gbz_component(data: bytes, pos: int, end: int, index: int, out: list) -> int:
    f = facts().gbz_control
    control = _byte(data, pos, end)
    cluster = _u16(data, pos + 1, end)
    length = _u16(data, pos + 3, end)
    body, body_end = pos + 5, pos + 5 + length
    if body_end > end:
        raise _Stop
    if control & f["encrypted"]:
        p = body + (4 if control & f["from_date_time"] else 0) + 2      # additional header
        frame_control, command_id = _byte(data, p, body_end), _byte(data, p + 2, body_end)
        clen = _u16(data, p + 3, body_end)
        start = p + 5
        if start + clen != body_end or clen < SECURITY_HEADER_LENGTH + TAG_LENGTH:
            raise _Stop
        out.append(EncryptedPart("gbz", start, body_end, {
            "component": index, "cluster": cluster, "frame_control": frame_control,
            "command_id": command_id, "control": control}))
    return body_end


def _gbz(data: bytes, start: int, end: int, message_code: int, cra: int, out: list) -> None:
    if data[start:start + 2] != GBZ_PROFILE:
        return
    if cra == 3:
        if facts().encrypted_bodies.get(message_code) == "gbz_alert_component":
            _gbz_component(data, start + 9, end, 0, out)     # 01 09, count, alert code, timestamp
        return
    count = _byte(data, start + 2, end)
    pos = start + 3
    for i in range(count):
        pos = _gbz_component(data, pos, end, i, out)


# -- DLMS -----------------------------------------------------------------------------------

def _axdr_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    first = _byte(data, pos, end)
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    if n == 0 or n > 4 or pos + 1 + n > end:
        raise _Stop
    return int.from_bytes(data[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def _type_description(data: bytes, pos: int, end: int, depth: int) -> int:
    tags = facts().axdr_tag
    if depth > MAX_DEPTH:
        raise _Stop
    tag = _byte(data, pos, end)
    if tag == tags["array"]:
        return _type_description(data, pos + 3, end, depth + 1)        # count (2), element type
    if tag == tags["structure"]:
        count, p = _axdr_length(data, pos + 1, end)
        for _ in range(count):
            p = _type_description(data, p, end, depth + 1)
        return p
    return pos + 1


def _dlms_data(data: bytes, pos: int, end: int, depth: int, out: list, path: list) -> int:
    """Step over one Data value; note protected pairs inside arrays and structures."""
    f = facts()
    if depth > MAX_DEPTH:
        raise _Stop
    tag = _byte(data, pos, end)
    read, size = f.axdr_read.get(tag, (None, None))
    if read is None:
        raise _Stop
    pos += 1
    if size is not None or read == "none":
        size = size or 0
        if pos + size > end:
            raise _Stop
        return pos + size
    if read in ("octets", "ascii", "utf8"):
        n, pos = _axdr_length(data, pos, end)
        if pos + n > end:
            raise _Stop
        return pos + n
    if read == "bits":
        bits, pos = _axdr_length(data, pos, end)
        n = (bits + 7) // 8
        if pos + n > end:
            raise _Stop
        return pos + n
    if read == "compact":
        pos = _type_description(data, pos, end, depth + 1)
        n, pos = _axdr_length(data, pos, end)
        if pos + n > end:
            raise _Stop
        return pos + n
    if read != "list":
        raise _Stop
    count, pos = _axdr_length(data, pos, end)
    previous: tuple[int, int] | None = None          # (tag, start) of the element before
    for i in range(count):
        here = pos
        pos = _dlms_data(data, pos, end, depth + 1, out, path + [i])
        if previous is not None and previous[0] == f.axdr_tag["array"]:
            _protected(data, here, pos, out, path + [i])
        previous = (data[here], here)
    return pos


def _protected(data: bytes, start: int, end: int, out: list, path: list) -> None:
    """An octet-string after an array: ciphered content if it starts with the security byte 31."""
    f = facts()
    if data[start] != f.axdr_tag["octet_string"]:
        return
    n, p = _axdr_length(data, start + 1, end)
    if p + n != end or n < SECURITY_HEADER_LENGTH + TAG_LENGTH or data[p] != f.payload_security[0]:
        return
    out.append(EncryptedPart("dlms", p, end, {"element": ".".join(map(str, path))}))


def _dlms(data: bytes, start: int, end: int, out: list) -> None:
    f = facts()
    apdu = f.dlms_protected_apdus.get(data[start])
    if apdu is None:
        return
    pos = start + 5                                   # tag, long-invoke-id-and-priority
    n, pos = _axdr_length(data, pos, end)             # date-time: 00, or 0C + 12 bytes
    pos += n
    if apdu == "data_notification":
        _dlms_data(data, pos, end, 0, out, ["body"])
        return
    if _byte(data, pos, end) != 0:                    # access-request-specification echoed
        raise _Stop                                   # (never with protected data in practice)
    count, pos = _axdr_length(data, pos + 1, end)
    for i in range(count):
        pos = _dlms_data(data, pos, end, 0, out, [f"data[{i}]"])


def find_encrypted(data: bytes, content_start: int, content_end: int, message_code: int,
                   cra: int) -> list[EncryptedPart]:
    """Every encrypted part of the content data[content_start:content_end], in byte order."""
    out: list[EncryptedPart] = []
    if content_end - content_start < 2:
        return out
    try:
        if data[content_start:content_start + 2] == GBZ_PROFILE:
            _gbz(data, content_start, content_end, message_code, cra, out)
        else:
            _dlms(data, content_start, content_end, out)
    except _Stop:
        pass
    return out
