"""Tables a decoder derives from a SpecSet, the last spec set's kept at hand.

SpecSet.derived makes them once per spec set, but it is a Python call; the decoders ask for
their tables on every message, so each keeps an AtHand (compiled with the decode path:
gbcs/backend.py) that answers for the spec set asked for last without that call."""
from __future__ import annotations


class AtHand:
    __slots__ = ("factory", "last")

    def __init__(self, factory):
        self.factory = factory
        self.last = (None, None)            # (SpecSet, tables): one tuple, so threads see a pair

    def of(self, specs):
        """factory(specs), made once per spec set (SpecSet.derived)."""
        last = self.last
        if last[0] is specs:
            return last[1]
        tables = specs.derived(self.factory)
        self.last = (specs, tables)
        return tables
