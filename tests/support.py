"""Helpers shared by the tests (imported as `support`; fixtures live in conftest.py)."""
from __future__ import annotations

import re
from pathlib import Path

KIND_RE = re.compile(r"_(PRECOMMAND|COMMAND|RESPONSE|ALERT)_")


def rtds_kind(path: Path) -> str:
    return KIND_RE.search(path.name).group(1).lower()


def rtds_use_case(path: Path) -> str:
    """Use case from the folder name `<section>_<use case>`."""
    return path.parent.name.split("_", 1)[1]


def rtds_content(data: bytes) -> tuple[int, int, int, int]:
    """(message code, CRA flag, content start, content end) from an envelope-only decode,
    so payload-decoder tests can walk the content on their own."""
    import gbcs
    m = gbcs.decode(data, payloads=False)
    return m.message_code, m.cra_flag, m.extras["content_start"], m.extras["content_end"]


def assert_tiles(node, start: int, end: int, unparsed_ok: bool = False) -> None:
    """The leaves below `node` cover [start, end) exactly, with structure (no unparsed bytes)."""
    pos = start
    for leaf in node.leaves():
        assert leaf.start == pos, f"gap or overlap at {leaf.name} ({leaf.start} != {pos})"
        assert unparsed_ok or leaf.codec != "unparsed", leaf
        pos = leaf.end
    assert pos == end


def walk_rtds_content(decoder, data: bytes):
    """Run one payload decoder over an RTDS message's content on its own Walker.

    Returns (node, ctx, problems): the payload node (None when decoding failed), the context
    (its notes) and what went wrong (decode error, gaps, unparsed bytes, no round trip)."""
    import gbcs
    from gbcs.errors import DecodeError
    from gbcs.payload.context import PayloadContext
    from gbcs.spec import specs
    from gbcs.wire.backend import Walker
    code, cra, start, end = rtds_content(data)
    w = Walker(data, start, end)
    w.begin("payload")
    ctx = PayloadContext(specs(), code, cra)
    try:
        decoder(w, ctx)
    except DecodeError as exc:
        return None, ctx, [str(exc)]
    node = w.finish()
    problems = []
    try:
        assert_tiles(node, start, end)
    except AssertionError as exc:
        problems.append(str(exc))
    if gbcs.encode(node) != data[start:end]:
        problems.append("does not re-encode")
    return node, ctx, problems


def core_schema_items() -> list:
    """The project's own `schema schema` and `schema enum` items, for spec snippets in tests."""
    from gbcs.spec.load import _data_dir, parse_text
    path = _data_dir("specs") / "schemas.gbspec"
    items = parse_text(path.read_text(encoding="utf-8"), "specs/schemas.gbspec")
    return [i for i in items if i.kind == "schema" and i.name in ("schema", "enum")]


# -- the pure-Python twin in another process (tests/test_twins.py) ------------------------

def twin_outcome(data: bytes, keystore=None) -> list:
    """Everything a decode (and, with a keystore, the integrity and decryption checks) says
    about `data`, as JSON-ready data: the tree or the error, in full."""
    import gbcs

    def tree(root) -> list:
        return [[path, n.start, n.end, n.codec, repr(n.value), n.meaning] for path, n in root.walk()]

    try:
        m = gbcs.decode(data)
    except gbcs.GbcsError as exc:
        return ["error", type(exc).__name__, str(exc), getattr(exc, "offset", None),
                getattr(exc, "field", None), getattr(exc, "rule", None)]
    out = ["ok", tree(m.root), tree(m.inner.root) if m.inner is not None else None,
           repr(sorted(m.summary().items())), repr(sorted(m.extras.items()))]
    if keystore is not None:
        from gbcs.crypto import check_integrity
        try:
            checked = check_integrity(m, keystore)
        except gbcs.GbcsError as exc:
            out.append(["integrity-error", type(exc).__name__, str(exc)])
        else:
            out.append([repr(checked.to_dict()), [
                [d.status, d.plaintext.hex() if d.plaintext is not None else None,
                 tree(d.tree) if d.tree is not None else None, repr(d.error)] for d in checked.decrypted]])
    return out


def twin_server() -> None:
    """Read `<keystore folder or ->\\t<hex>` lines, answer each with the JSON of twin_outcome."""
    import json
    import sys
    from gbcs.crypto import Keystore
    stores: dict = {}
    for line in sys.stdin:
        folder, _, hex_data = line.rstrip("\n").partition("\t")
        keystore = None
        if folder != "-":
            keystore = stores.get(folder) or stores.setdefault(folder, Keystore.load([folder]))
        sys.stdout.write(json.dumps(twin_outcome(bytes.fromhex(hex_data), keystore)) + "\n")
        sys.stdout.flush()
