"""The spec language: grammars/gbspec.lark parsed with lark into Items, checked into a SpecSet."""
from gbcs.spec.load import SpecSet, load_specs, specs

__all__ = ["SpecSet", "load_specs", "specs"]
