"""The decoded message tree.

Every byte of a message belongs to exactly one leaf node; a leaf knows how its value is
written (its codec), so a tree can be turned back into bytes (gbcs.encode). Offsets are
absolute in the buffer the tree was decoded from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator


class Node:
    """One field of a message: a leaf (codec set) or a group of child nodes (codec None)."""

    __slots__ = ("name", "start", "end", "codec", "value", "meaning", "children")

    def __init__(self, name: str, start: int, end: int, codec: str | None = None,
                 value: Any = None, meaning: str | None = None, children: list | None = None):
        self.name = name
        self.start = start
        self.end = end
        self.codec = codec
        self.value = value
        self.meaning = meaning
        self.children = children

    @property
    def is_leaf(self) -> bool:
        return self.codec is not None

    def __repr__(self) -> str:
        if self.is_leaf:
            return f"Node({self.name!r}, {self.start}..{self.end}, {self.codec}, {self.value!r})"
        return f"Node({self.name!r}, {self.start}..{self.end}, {len(self.children or ())} children)"

    def __iter__(self) -> Iterator["Node"]:
        return iter(self.children or ())

    def get(self, name: str) -> "Node | None":
        """The first child called `name`, or None."""
        for child in self.children or ():
            if child.name == name:
                return child
        return None

    def find(self, path: str) -> "Node | None":
        """The node at a dotted path below this one, e.g. 'grouping_header.originator'."""
        node: Node | None = self
        for part in path.split("."):
            node = node.get(part) if node is not None else None
        return node

    def walk(self, prefix: str = "") -> Iterator[tuple[str, "Node"]]:
        """Every node below this one with its dotted path, depth first, in byte order."""
        stack = [(f"{prefix}.{self.name}" if prefix else self.name, self)]
        while stack:                      # no recursion: deep trees, and no generator per level
            path, node = stack.pop()
            yield path, node
            children = node.children
            if children:
                stack.extend((f"{path}.{c.name}", c) for c in reversed(children))

    def leaves(self) -> Iterator["Node"]:
        stack = [self]
        while stack:
            node = stack.pop()
            if node.codec is not None:
                yield node
            elif node.children:
                stack.extend(reversed(node.children))

    def __reduce__(self):
        # A tree pickles as one flat list (pre-order, with child counts) rebuilt without
        # recursion: several times faster than node by node, and no depth limit.
        flat, stack = [], [self]
        while stack:
            node = stack.pop()
            children = node.children
            flat.append((node.name, node.start, node.end, node.codec, node.value, node.meaning,
                         -1 if children is None else len(children)))
            if children:
                stack.extend(reversed(children))
        return _rebuild_tree, (flat,)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.name, "offset": self.start, "length": self.end - self.start}
        if self.is_leaf:
            out["codec"] = self.codec
            out["value"] = json_value(self.value)
        if self.meaning is not None:
            out["meaning"] = self.meaning
        if self.children is not None:
            out["children"] = [c.to_dict() for c in self.children]
        return out


def _rebuild_tree(flat: list) -> Node:
    root = None
    open_nodes: list[list] = []          # [node, children still to attach]
    for name, start, end, codec, value, meaning, count in flat:
        node = Node(name, start, end, codec, value, meaning, None if count < 0 else [])
        if open_nodes:
            parent = open_nodes[-1]
            parent[0].children.append(node)
            parent[1] -= 1
            if parent[1] == 0:
                open_nodes.pop()
        else:
            root = node
        if count > 0:
            open_nodes.append([node, count])
    return root


def json_value(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return value.hex().upper()
    return value


@dataclass
class Message:
    """A decoded GBCS message: the tree plus the header facts users ask for first."""

    data: bytes
    root: Node
    kind: str                       # command | response | alert | precommand
    cra_flag: int | None = None
    originator: bytes | None = None
    recipient: bytes | None = None
    originator_counter: int | None = None
    date_time: str | None = None
    message_code: int | None = None
    use_case: str | None = None
    message_name: str | None = None
    payload_type: str | None = None   # dlms | gbz | asn1 | None
    # Set for messages reassembled from GBT blocks: the tree then covers the blocks,
    # and `inner` is the message they carry.
    inner: "Message | None" = None
    extras: dict = field(default_factory=dict)

    @property
    def unparsed_bytes(self) -> int:
        """Bytes the decoder could not give a structure to (kept, as opaque leaves)."""
        total, stack = 0, [self.root]
        while stack:
            node = stack.pop()
            if node.codec == "unparsed":
                total += node.end - node.start
            elif node.children:
                stack.extend(node.children)
        return total

    def find(self, path: str) -> Node | None:
        if path == self.root.name:
            return self.root
        prefix = self.root.name + "."
        return self.root.find(path[len(prefix):] if path.startswith(prefix) else path)

    def summary(self) -> dict:
        return {
            "kind": self.kind,
            "message_code": self.message_code,
            "use_case": self.use_case,
            "message_name": self.message_name,
            "cra_flag": self.cra_flag,
            "originator": self.originator.hex().upper() if self.originator else None,
            "recipient": self.recipient.hex().upper() if self.recipient else None,
            "originator_counter": self.originator_counter,
            "date_time": self.date_time,
            "payload_type": self.payload_type,
            "unparsed_bytes": self.unparsed_bytes,
        }
