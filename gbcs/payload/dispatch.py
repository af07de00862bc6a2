"""Choose the payload family from the content's first bytes and hand over to its decoder.

The rule is the one every public decoder converges on: 01 09 (the ZigBee Smart Energy
profile id) is GBZ, D9/DA/0F (Access-Request/-Response, Data-Notification) are DLMS, and
anything else is ASN.1 DER. Special bodies by message code are each family's business.
"""
from __future__ import annotations

from gbcs.payload.context import PayloadContext
from gbcs.wire.walker import Walker

DLMS_TAGS = frozenset({0xD9, 0xDA, 0x0F})


def payload_family(first: int | None, second: int | None) -> str | None:
    if first is None:
        return None
    if first == 0x01 and second == 0x09:
        return "gbz"
    if first in DLMS_TAGS:
        return "dlms"
    return "asn1"


def decode_payload(w: Walker, ctx: PayloadContext) -> str | None:
    """Decode the content that fills the walker's current frame; returns the family."""
    family = payload_family(w.peek(0), w.peek(1))
    if family == "gbz":
        from gbcs.payload.gbz import decode_gbz
        decode_gbz(w, ctx)
    elif family == "dlms":
        from gbcs.payload.dlms import decode_dlms
        decode_dlms(w, ctx)
    elif family == "asn1":
        from gbcs.payload.asn1 import decode_asn1
        decode_asn1(w, ctx)
    return family
