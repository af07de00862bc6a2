"""Choose the payload family from the content's first bytes and hand over to its decoder.

The rule is the one every public decoder converges on: 01 09 (the ZigBee Smart Energy
profile id) is GBZ, D9/DA/0F (Access-Request/-Response, Data-Notification) are DLMS, and
anything else is ASN.1 DER. Special bodies by message code are each family's business.
"""
from __future__ import annotations

from gbcs.payload.context import PayloadContext
from gbcs.wire.walker import Walker

from gbcs.spec import specs
from gbcs.spec.load import SpecSet


class _Markers:
    """The first bytes that mark each family: the GBZ profile id and the DLMS APDU tags."""

    def __init__(self, s: SpecSet):
        self.gbz_profiles = {v.to_bytes(2, "big") for v in s.enum("gbz_profile").by_key}
        self.dlms_tags = frozenset(s.enum("dlms_apdu").by_key)


def payload_family(first: int | None, second: int | None, spec_set: SpecSet | None = None) -> str | None:
    if first is None:
        return None
    markers = (spec_set or specs()).derived(_Markers)
    if second is not None and bytes([first, second]) in markers.gbz_profiles:
        return "gbz"
    if first in markers.dlms_tags:
        return "dlms"
    return "asn1"


def decode_payload(w: Walker, ctx: PayloadContext) -> str | None:
    """Decode the content that fills the walker's current frame; returns the family."""
    family = payload_family(w.peek(0), w.peek(1), ctx.specs)
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
