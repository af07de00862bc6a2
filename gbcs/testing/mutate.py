"""Hostile variants of messages: bit flips, truncation, length lies and splices at the field
boundaries the decoded tree gives. The same mutators serve hypothesis (mutated()) and the
`gbcs fuzz` engines (mutate_once with a random.Random).
"""
from __future__ import annotations

import random

from hypothesis import strategies as st

MUTATIONS = ("bit_flip", "truncate", "length_lie", "splice", "duplicate", "delete", "insert")


def boundaries(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every node of the decoded tree, or of the envelope when the payload does
    not decode; [] when nothing decodes."""
    import gbcs
    from gbcs.errors import GbcsError
    for payloads in (True, False):
        try:
            message = gbcs.decode(data, payloads=payloads)
        except GbcsError:
            continue
        return sorted({(n.start, n.end) for _, n in message.root.walk() if 0 <= n.start < n.end <= len(data)})
    return []


def _length_fields(data: bytes, spans: list[tuple[int, int]]) -> list[int]:
    """Offsets of one-byte fields whose value equals the size of what follows them: likely lengths."""
    out = []
    for start, end in spans:
        if end - start == 1:
            following = [e - s for s, e in spans if s == end]
            if data[start] in following or data[start] == len(data) - end:
                out.append(start)
    return out


def mutate_once(data: bytes, rnd: random.Random, spans: list[tuple[int, int]] | None = None,
                other: bytes | None = None, mutation: str | None = None) -> bytes:
    """One mutation of `data`; `spans` are field boundaries (boundaries(data)), `other` a second
    message to splice from."""
    if not data:
        return bytes([rnd.randrange(256)])
    spans = spans if spans is not None else []
    kind = mutation or rnd.choice(MUTATIONS)
    n = len(data)
    if kind == "bit_flip":
        out = bytearray(data)
        for _ in range(rnd.randint(1, 4)):
            i = rnd.randrange(n)
            out[i] ^= 1 << rnd.randrange(8)
        return bytes(out)
    if kind == "truncate":
        cut = rnd.choice([s for s, _ in spans] or [rnd.randrange(n)])
        return data[:cut]
    if kind == "length_lie":
        lengths = _length_fields(data, spans)
        i = rnd.choice(lengths) if lengths else rnd.randrange(n)
        lie = rnd.choice((0, 1, 0x7F, 0x80, 0x81, 0x82, 0xFF, (data[i] + rnd.choice((-1, 1))) & 0xFF))
        return data[:i] + bytes([lie]) + data[i + 1:]
    if kind == "splice" and other:
        here = rnd.choice(spans) if spans else (rnd.randrange(n), n)
        there_spans = boundaries(other) or [(0, len(other))]
        s, e = rnd.choice(there_spans)
        return data[:here[0]] + other[s:e] + data[here[1]:]
    if kind in ("duplicate", "splice"):
        s, e = rnd.choice(spans) if spans else sorted((rnd.randrange(n), rnd.randrange(n + 1)))
        return data[:e] + data[s:e] * rnd.randint(1, 3) + data[e:]
    if kind == "delete":
        s, e = rnd.choice(spans) if spans else sorted((rnd.randrange(n), rnd.randrange(n + 1)))
        return data[:s] + data[e:]
    i = rnd.choice([s for s, _ in spans] or [rnd.randrange(n + 1)])
    return data[:i] + rnd.randbytes(rnd.randint(1, 8)) + data[i:]


def mutated(strategy: st.SearchStrategy[bytes], *, max_mutations: int = 3,
            mutations: tuple[str, ...] = MUTATIONS) -> st.SearchStrategy[bytes]:
    """Hostile variants of what `strategy` draws: 1..max_mutations mutations (bit flips,
    truncation at field boundaries, length bytes that lie, splices/duplicates/deletions of whole
    fields of the decoded tree, inserted junk)."""
    unknown = set(mutations) - set(MUTATIONS)
    if unknown:
        raise ValueError(f"unknown mutations {sorted(unknown)}; known: {', '.join(MUTATIONS)}")

    @st.composite
    def build(draw) -> bytes:
        data = draw(strategy)
        other = draw(strategy) if "splice" in mutations and draw(st.booleans()) else None
        rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
        for _ in range(draw(st.integers(1, max_mutations))):
            data = mutate_once(data, rnd, boundaries(data), other, rnd.choice(mutations))
        return data
    return build()
