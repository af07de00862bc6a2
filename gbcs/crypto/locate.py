"""Find the encrypted parts of a decoded message (GBCS 4.3.4; layouts GBZ 7.4, DLMS 6.3).

The payload decoders name every encrypted part the same way: a group holding
`security_header`, `ciphertext` and `tag` (an encrypted GBZ component's
`ciphered_information`, a DLMS `protected_attributes` value, the ECS68 / GCS53 alert bodies).
So the parts are read off the tree; nothing here parses bytes a second time.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from gbcs.message import Node

_PART_FIELDS = ("security_header", "ciphertext", "tag")


@dataclass
class EncryptedPart:
    family: str                     # gbz | dlms
    start: int                      # first byte of the security header (absolute offset)
    end: int                        # one past the tag
    context: dict = field(default_factory=dict)


def _is_part(node: Node) -> bool:
    names = [c.name for c in node.children or ()]
    if "ciphertext" not in names:        # the common case, decided in one scan
        return False
    return all(n in names for n in _PART_FIELDS) and names.index("security_header") < names.index("tag")


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
    out: list[EncryptedPart] = []
    stack: list[tuple[Node, Node | None]] = [(payload, None)]
    while stack:                  # depth first in byte order, without recursion
        node, parent = stack.pop()
        if node.children is None:
            continue
        if _is_part(node):
            start = node.get("security_header").start
            end = node.get("tag").end
            context = _gbz_context(parent) if family == "gbz" and parent is not None else {}
            out.append(EncryptedPart(family, start, end, context))
            continue
        # leaves hold no parts: only groups are visited
        stack.extend([(child, node) for child in reversed(node.children) if child.children])
    return out
