"""The decoded message tree.

Every byte of a message belongs to exactly one leaf node; a leaf knows how its value is
written (its codec), so a tree can be turned back into bytes (gbcs.encode). Offsets are
absolute in the buffer the tree was decoded from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator


class Node:
    """One field of a message: a leaf (codec set) or a group of child nodes (codec None).

    A Node is either made directly (Node(name, start, end, ...), its fields its own) or is a
    view onto one row of a decoded tree's tape (gbcs.wire.walker.Tape): the walker makes
    views only when someone looks, and what is assigned to a view (meaning, value, end ...)
    is written to the tape. Views of the same row are equal.
    """

    __slots__ = ("_tape", "_row", "_name", "_start", "_end", "_codec", "_value", "_meaning", "_children")

    def __init__(self, name: str, start: int, end: int, codec: str | None = None,
                 value: Any = None, meaning: str | None = None, children: list | None = None):
        self._tape = None
        self._row = -1
        self._name = name
        self._start = start
        self._end = end
        self._codec = codec
        self._value = value
        self._meaning = meaning
        self._children = children

    # -- fields (a view reads and writes its tape row) ------------------------------------
    @property
    def name(self) -> str:
        return self._name if self._tape is None else self._tape.name(self._row)

    @name.setter
    def name(self, value: str) -> None:
        if self._tape is None:
            self._name = value
        else:
            self._tape.set_name(self._row, value)

    @property
    def start(self) -> int:
        return self._start if self._tape is None else self._tape.start(self._row)

    @start.setter
    def start(self, value: int) -> None:
        if self._tape is None:
            self._start = value
        else:
            self._tape.set_start(self._row, value)

    @property
    def end(self) -> int:
        return self._end if self._tape is None else self._tape.end(self._row)

    @end.setter
    def end(self, value: int) -> None:
        if self._tape is None:
            self._end = value
        else:
            self._tape.set_end(self._row, value)

    @property
    def codec(self) -> str | None:
        return self._codec if self._tape is None else self._tape.codec(self._row)

    @codec.setter
    def codec(self, value: str | None) -> None:
        if self._tape is None:
            self._codec = value
        else:
            self._tape.set_codec(self._row, value)

    @property
    def value(self) -> Any:
        return self._value if self._tape is None else self._tape.value(self._row)

    @value.setter
    def value(self, value: Any) -> None:
        if self._tape is None:
            self._value = value
        else:
            self._tape.set_value(self._row, value)

    @property
    def meaning(self) -> Any:
        return self._meaning if self._tape is None else self._tape.meaning(self._row)

    @meaning.setter
    def meaning(self, value: Any) -> None:
        if self._tape is None:
            self._meaning = value
        else:
            self._tape.set_meaning(self._row, value)

    @property
    def children(self) -> "list[Node] | Children | None":
        """The child nodes (None for a leaf). For a view: a read-only sequence (`Children`)
        that makes each child's view when it is reached; the shape of a decoded tree is fixed."""
        tape = self._tape
        if tape is None:
            return self._children
        kids = self._children
        if kids is None:
            kids = tape.children(self._row)
            if kids is not None and tape.is_closed(self._row):
                self._children = kids          # an open group may still gain children
        return kids

    @children.setter
    def children(self, value: "list[Node] | None") -> None:
        if self._tape is not None:
            raise AttributeError("the children of a decoded tree are fixed; build a tree of "
                                 "Node(...) objects to change its shape")
        self._children = value

    @property
    def is_leaf(self) -> bool:
        return self.codec is not None

    @property
    def tape(self):
        """The tape this node is a view onto, or None for a node made directly."""
        return self._tape

    @property
    def row(self) -> int:
        """This node's row on its tape (-1 for a node made directly)."""
        return self._row

    def __eq__(self, other) -> bool:
        if self is other:
            return True
        if self._tape is None or not isinstance(other, Node):
            return False
        return self._tape is other.tape and self._row == other.row

    def __hash__(self) -> int:
        return id(self) if self._tape is None else hash((id(self._tape), self._row))

    def __repr__(self) -> str:
        if self.is_leaf:
            return f"Node({self.name!r}, {self.start}..{self.end}, {self.codec}, {self.value!r})"
        return f"Node({self.name!r}, {self.start}..{self.end}, {len(self.children or ())} children)"

    def __iter__(self) -> Iterator["Node"]:
        return iter(self.children or ())

    def get(self, name: str) -> "Node | None":
        """The first child called `name`, or None."""
        if self._tape is not None:
            row = self._tape.child_named(self._row, name)
            return None if row < 0 else tape_view(self._tape, row)
        for child in self._children or ():
            if child.name == name:
                return child
        return None

    def find(self, path: str) -> "Node | None":
        """The node at a dotted path below this one, e.g. 'grouping_header.originator'."""
        if self._tape is not None:
            row = self._tape.find(self._row, path)
            return None if row < 0 else tape_view(self._tape, row)
        node: Node | None = self
        for part in path.split("."):
            node = node.get(part) if node is not None else None
        return node

    def walk(self, prefix: str = "") -> Iterator[tuple[str, "Node"]]:
        """Every node below this one with its dotted path, depth first, in byte order."""
        if self._tape is not None:
            yield from self._tape.walk(self._row, prefix)
            return
        stack = [(f"{prefix}.{self.name}" if prefix else self.name, self)]
        while stack:                      # no recursion: deep trees, and no generator per level
            path, node = stack.pop()
            yield path, node
            children = node.children
            if children:
                stack.extend((f"{path}.{c.name}", c) for c in reversed(children))

    def descendants(self) -> Iterator["Node"]:
        """This node and every node below it, depth first in byte order, without paths:
        the cheap full scan (one view at a time on a decoded tree)."""
        if self._tape is not None:
            yield from self._tape.nodes(self._row)
            return
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            children = node.children
            if children:
                stack.extend(reversed(children))

    def leaves(self) -> Iterator["Node"]:
        if self._tape is not None:
            yield from self._tape.leaves(self._row)
            return
        stack = [self]
        while stack:
            node = stack.pop()
            if node.codec is not None:
                yield node
            elif node.children:
                stack.extend(reversed(node.children))

    def __reduce__(self):
        if self._tape is not None:             # the subtree's rows, as plain data
            return _tree_from_state, (self._tape.state(self._row),)
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
        if self._tape is not None:
            return self._tape.to_dict(self._row)
        out: dict[str, Any] = {"name": self.name, "offset": self.start, "length": self.end - self.start}
        if self.is_leaf:
            out["codec"] = self.codec
            out["value"] = json_value(self.value)
        if self.meaning is not None:
            out["meaning"] = self.meaning
        if self.children is not None:
            out["children"] = [c.to_dict() for c in self.children]
        return out


class Children:
    """The children of a view: a read-only sequence over their tape rows that makes each
    child's Node only when it is reached (iterating a million children holds one at a time).
    The rows are listed only when indexing needs them; the first child needs no list."""

    __slots__ = ("_tape", "_row", "_rows")

    def __init__(self, tape, row: int, rows=None):
        self._tape = tape
        self._row = row              # the parent's row (-1 for a slice: then `rows` is given)
        self._rows = rows            # array of the children's rows, made when needed

    def rows(self):
        if self._rows is None:
            self._rows = self._tape.child_rows(self._row)
        return self._rows

    def __len__(self) -> int:
        return len(self.rows())

    def __bool__(self) -> bool:
        if self._rows is None:
            return self._tape.first_child(self._row) >= 0
        return len(self._rows) > 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Children(self._tape, -1, self.rows()[index])
        if index == 0 and self._rows is None:
            row = self._tape.first_child(self._row)
            if row < 0:
                raise IndexError("no children")
            return tape_view(self._tape, row)
        return tape_view(self._tape, self.rows()[index])

    def __iter__(self) -> Iterator[Node]:
        tape = self._tape
        if self._rows is None:
            row = self._row + 1
            stop = tape.after(self._row) if tape.first_child(self._row) >= 0 else row
            while row < stop:
                yield tape_view(tape, row)
                row = tape.after(row)
        else:
            for row in self._rows:
                yield tape_view(tape, row)

    def __reversed__(self) -> Iterator[Node]:
        tape = self._tape
        for row in reversed(self.rows()):
            yield tape_view(tape, row)

    def __contains__(self, node) -> bool:
        return any(node == child for child in self)

    def __eq__(self, other) -> bool:
        if isinstance(other, Children):
            return self._tape is other._tape and self.rows() == other.rows()
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __hash__(self):
        raise TypeError("unhashable type: 'Children'")

    def index(self, node) -> int:
        for k, child in enumerate(self):
            if child == node:
                return k
        raise ValueError("not a child of this node")

    def __repr__(self) -> str:
        return f"Children({len(self)} nodes)"


def tape_view(tape, row: int) -> Node:
    """The Node for one row of a tape (gbcs.wire.walker.Tape)."""
    node = Node.__new__(Node)
    node._tape = tape
    node._row = row
    node._children = None
    return node


def _tree_from_state(state: tuple) -> Node:
    from gbcs.wire.backend import Tape
    return tape_view(Tape.from_state(state), 0)


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


@dataclass(init=False, slots=True)     # slots: one per message, no instance dict to fill
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

    # Written out rather than generated (init=False): the generated one is interpreted
    # bytecode even in the compiled twin, and a decode makes one per message.
    def __init__(self, data: bytes, root: Node, kind: str, cra_flag: int | None = None,
                 originator: bytes | None = None, recipient: bytes | None = None,
                 originator_counter: int | None = None, date_time: str | None = None,
                 message_code: int | None = None, use_case: str | None = None,
                 message_name: str | None = None, payload_type: str | None = None,
                 inner: "Message | None" = None, extras: dict | None = None):
        self.data = data
        self.root = root
        self.kind = kind
        self.cra_flag = cra_flag
        self.originator = originator
        self.recipient = recipient
        self.originator_counter = originator_counter
        self.date_time = date_time
        self.message_code = message_code
        self.use_case = use_case
        self.message_name = message_name
        self.payload_type = payload_type
        self.inner = inner
        self.extras = {} if extras is None else extras

    @property
    def unparsed_bytes(self) -> int:
        """Bytes the decoder could not give a structure to (kept, as opaque leaves)."""
        if self.root.tape is not None:
            return self.root.tape.span_of_codec(self.root.row, "unparsed")
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
