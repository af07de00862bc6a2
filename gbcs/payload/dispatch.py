"""Choose the payload family from the content's first bytes and hand over to its decoder.

The rule is the one every public decoder converges on: 01 09 (the ZigBee Smart Energy
profile id) is GBZ, D9/DA/0F (Access-Request/-Response, Data-Notification) are DLMS, and
anything else is ASN.1 DER. Special bodies by message code are each family's business.
"""
from __future__ import annotations

import importlib
import sys

from gbcs.payload.context import PayloadContext
from gbcs.wire.backend import Walker

from gbcs.spec import specs
from gbcs.spec.at_hand import AtHand
from gbcs.spec.load import SpecSet


class _Markers:
    """The first bytes that mark each family: the GBZ profile id and the DLMS APDU tags."""

    def __init__(self, s: SpecSet):
        self.gbz_profiles = frozenset(s.enum("gbz_profile").by_key)      # as 16-bit numbers
        self.dlms_tags = frozenset(s.enum("dlms_apdu").by_key)


_MARKERS = AtHand(_Markers)

# family -> (module, decoder); imported on first use (the decoders import much of gbcs)
_DECODERS = {family: (f"gbcs.payload.{family}", f"decode_{family}") for family in ("gbz", "dlms", "asn1")}


def payload_family(first: int | None, second: int | None, spec_set: SpecSet | None = None) -> str | None:
    if first is None:
        return None
    markers = _MARKERS.of(spec_set or specs())
    if second is not None and ((first << 8) | second) in markers.gbz_profiles:
        return "gbz"
    if first in markers.dlms_tags:
        return "dlms"
    return "asn1"


def decode_payload(w: Walker, ctx: PayloadContext) -> str | None:
    """Decode the content that fills the walker's current frame; returns the family."""
    family = payload_family(w.peek(0), w.peek(1), ctx.specs)
    if family is not None:
        module_name, decoder = _DECODERS[family]
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        getattr(module, decoder)(w, ctx)
    return family
