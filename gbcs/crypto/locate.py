"""Find the encrypted parts of a decoded message (GBCS 4.3.4; layouts GBZ 7.4, DLMS 6.3).

The payload decoders name every encrypted part the same way: a group holding
`security_header`, `ciphertext` and `tag` (an encrypted GBZ component's
`ciphered_information`, a DLMS `protected_attributes` value, the ECS68 / GCS53 alert bodies).
So the parts are read off the tree; nothing here parses bytes a second time.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Iterator

from gbcs.message import Node, tape_view

_PART_FIELDS = ("security_header", "ciphertext", "tag")


@dataclass
class EncryptedPart:
    family: str                     # gbz | dlms
    start: int                      # first byte of the security header (absolute offset)
    end: int                        # one past the tag
    context: dict = field(default_factory=dict)


def _is_part(node: Node) -> bool:
    # get() looks names up on a decoded tree's tape without naming every child (a group of a
    # million array elements would otherwise make a million strings)
    if node.get("ciphertext") is None:        # the common case
        return False
    found = [node.get(name) for name in _PART_FIELDS]
    return all(n is not None for n in found) and found[0].start < found[2].start


def _may_hold_parts(payload: Node) -> bool:
    """False when no node below `payload` is called `ciphertext` (most messages): read off the
    tape's name column at C speed, with no view per node. True for trees made of Node objects."""
    tape = payload.tape
    if tape is None:
        return True
    nid = tape.name_ids.get(_PART_FIELDS[1])
    if nid is None:
        return False
    top = payload.row
    return next(rows_with_name(tape.a_name[top:tape.after(top)].tobytes(), tape.a_name.itemsize, nid), None) is not None


def rows_with_name(column: bytes, width: int, nid: int) -> Iterator[int]:
    """The rows (counted from the column's first) whose name id is `nid`, found in the bytes of
    a tape's name column (array.tobytes(), `width` bytes an id) by bytes.find, at C speed."""
    pattern = nid.to_bytes(width, sys.byteorder)
    at = column.find(pattern)
    while at >= 0:
        if at % width:                        # the pattern across two ids
            at = column.find(pattern, at + 1)
            continue
        yield at // width
        at = column.find(pattern, at + width)


def _parts_on_tape(payload: Node, part) -> None:
    """part(group, its parent) for the groups below `payload` that the depth-first walk would
    try, found from the tape's name column: the groups holding a child called `ciphertext`,
    in byte order, less those inside a part already found (the walk does not enter a part)."""
    tape, top = payload.tape, payload.row
    stop = tape.after(top)
    a_index, after = tape.a_index, tape.after
    nid = tape.name_ids.get(_PART_FIELDS[1])
    column = tape.a_name[top:stop].tobytes()
    groups = sorted({_parent_row(tape, top + at) for at in rows_with_name(column, tape.a_name.itemsize, nid)
                     if at > 0 and a_index[top + at] < 0})
    past_part = -1                         # the row after the last part found, and its subtree
    for row in groups:
        if row == top or row < past_part:
            continue
        if part(tape_view(tape, row), tape_view(tape, _parent_row(tape, row))):
            past_part = after(row)


def _parent_row(tape, row: int) -> int:
    """The row of the group that holds `row` (which is not its tape's root)."""
    at = row - 1
    while tape.after(at) <= row:
        at -= 1
    return at


def _gbz_context(component: Node) -> dict:
    """Cluster, frame control and command id of the component that holds a ciphertext."""
    header = component.get("zcl_header")
    fc = header.get("frame_control") if header is not None else None
    cmd = header.get("command_id") if header is not None else None
    cluster = component.get("cluster_id")
    return {"cluster": cluster.value if cluster is not None else None,
            "frame_control": fc.value if fc is not None else None,
            "command_id": cmd.value if cmd is not None else None}


def find_encrypted(root: Node | None, family: str | None) -> list[EncryptedPart]:
    """Every encrypted part of a decoded message's payload, in byte order."""
    payload = root.get("payload") if root is not None else None
    if payload is None or family not in ("gbz", "dlms"):
        return []
    if not _may_hold_parts(payload):
        return []
    out: list[EncryptedPart] = []

    def part(node: Node, parent: Node | None) -> bool:
        if not _is_part(node):
            return False
        start = node.get("security_header").start
        end = node.get("tag").end
        context = _gbz_context(parent) if family == "gbz" and parent is not None else {}
        out.append(EncryptedPart(family, start, end, context))
        return True

    if payload.children is None or part(payload, None):
        return out
    if payload.tape is not None:
        _parts_on_tape(payload, part)
        return out
    # depth first in byte order, without recursion; one iterator per level, so a group of a
    # million children is never held as a million views at once
    stack = [(iter(payload.children), payload)]
    while stack:
        children, parent = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
        elif node.children and not part(node, parent):   # leaves hold no parts
            stack.append((iter(node.children), node))
    return out
