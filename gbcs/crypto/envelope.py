"""The envelope facts cryptography needs: who, which counter, which bytes are signed and MAC'd.

Taken from a decoded Message (its header fields and extras); when the payload cannot be
decoded, from an envelope-only decode, so a signature or MAC can still be checked on a
message whose content is malformed.
"""
from __future__ import annotations

from dataclasses import dataclass

from gbcs.message import Message


@dataclass(init=False)
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

    # written out (init=False): the generated one is interpreted even in the compiled twin
    def __init__(self, data: bytes, apdu_start: int, apdu_end: int, content_start: int, content_end: int, cra: int,
                 counter: int, originator: bytes, recipient: bytes, message_code: int, signature: bytes | None,
                 mac: bytes | None, security_header: bytes | None = None, srp_id: bytes | None = None,
                 srp_counter: int | None = None, soc: int | None = None):
        self.data = data
        self.apdu_start = apdu_start
        self.apdu_end = apdu_end
        self.content_start = content_start
        self.content_end = content_end
        self.cra = cra
        self.counter = counter
        self.originator = originator
        self.recipient = recipient
        self.message_code = message_code
        self.signature = signature
        self.mac = mac
        self.security_header = security_header
        self.srp_id = srp_id
        self.srp_counter = srp_counter
        self.soc = soc

    @property
    def signed_bytes(self) -> bytes:
        """From the byte after DF to the end of the content (GBCS 4.3.2)."""
        return self.data[self.apdu_start + 1:self.content_end]

    @property
    def apdu(self) -> bytes:
        return self.data[self.apdu_start:self.apdu_end]


def from_bytes(data: bytes) -> Facts:
    """The facts of a message read envelope-only (its payload may be malformed). Raises DecodeError."""
    from gbcs.decoding import decode
    return from_message(decode(data, payloads=False))


def from_message(message: Message) -> Facts:
    """The facts of a decoded message (the carried message, for GBT blocks)."""
    m = message.inner or message
    x = m.extras
    data = m.data
    mac_node = m.root.get("mac")
    if mac_node is not None:
        security = m.root.find("mac_header.security_header")
        start, mac, end = m.root.get("grouping_header").start, x.get("mac"), mac_node.start
        sec = data[security.start:security.end]
    else:
        start, mac, end, sec = 0, None, len(data), None
    return Facts(data, start, end, x["content_start"], x["content_end"], m.cra_flag, m.originator_counter,
                 m.originator, m.recipient, m.message_code, x.get("signature"), mac, sec,
                 x.get("srp_id"), x.get("srp_counter"), x.get("soc"))
