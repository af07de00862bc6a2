"""Bounds-checked reading of a byte buffer into a tree recorded on a tape.

Every read checks the bytes present before it slices, so an untrusted length can never
cause a large allocation; every leaf records its codec so the tree encodes back to the same
bytes. Errors name the absolute offset and the dotted field path being read.

The tree is not made of objects while it is read: each node is a row of small integers in
the flat arrays of a `Tape` (name, index, start, end, codec, subtree end, meaning, how its
value is had), in pre-order, so a node's subtree is rows i .. after(i) - 1. A `Node` is made
only when someone asks for one (`w.last`, `w.root`, `find` ...): a view onto its row, whose
assignments write back to the tape. Values of the reading methods are not stored: they are
read again from the bytes when asked for (the bytes never change).

The compiled twin (setup.py, with _walker_c.pxd) keeps the rows in C arrays reached through
typed memoryviews; the pure-Python twin runs the same code on array.array.
"""
from __future__ import annotations

import struct
import sys
import threading
from collections import deque
from array import array

from gbcs.errors import ConstraintError, LengthError, TruncatedError, UnknownCodeError
from gbcs.message import Children, Node, json_value, tape_view

# The compiled twin is an extension module (setup.py); importing cython to ask would cost the
# pure twin milliseconds where Cython is installed. Both branches it picks give the same results.
COMPILED = not __file__.endswith((".py", ".pyc"))
if COMPILED:
    import cython
else:
    from gbcs.wire.compiler_hints import cython

# Cap on nodes per input byte: keeps hostile counts (e.g. arrays of zero-width items)
# linear in the input size.
NODES_PER_BYTE = 8
NODE_ALLOWANCE = 4096
INITIAL_ROWS_MAX = 4096
SPARE_ROWS_MAX = INITIAL_ROWS_MAX       # a larger tape is not kept for another tree (memory)
SPARE_ROWS_MIN = 256           # RTDS trees: median 54 rows, 88% at most 256; the pool adapts to the rest
GROW_DOUBLING_UP_TO = 1 << 16
MAX_INPUT = 0x7FFFFFFF       # offsets are 32-bit on the tape

# How a node's value is had (Tape.vkind): none (a group), stored (Tape.stored), or read from
# its bytes as they were read.
V_NONE, V_STORED, V_BYTES, V_UBE, V_ULE, V_SBE, V_SLE, V_BERLEN, V_F32, V_F32LE, V_F64, V_F64LE = range(12)
_FLOAT_FORMATS = {V_F32: ">f", V_F32LE: "<f", V_F64: ">d", V_F64LE: "<d"}

_U = tuple(f"u{n * 8}" for n in range(33))
_ULE = tuple(f"u{n * 8}le" for n in range(33))
_I = tuple(f"i{n * 8}" for n in range(33))
_ILE = tuple(f"i{n * 8}le" for n in range(33))
_FIELDS = (("a_name", "H"), ("a_index", "i"), ("a_start", "i"), ("a_end", "i"), ("a_after", "i"),
           ("a_meaning", "I"), ("a_codec", "B"), ("a_vkind", "B"))
_ZERO_H, _ZERO_I, _ZERO_UI, _ZERO_B = array("H", [0]), array("i", [0]), array("I", [0]), array("B", [0])
MAX_NAMES = 0xFFFF           # distinct base names in one tree (they come from the specs and decoders)
MAX_CODECS = 0xFF
_SHARED_NAMES: list = []
_SHARED_NAME_IDS: dict = {}
_SHARED_CODECS: list = [None]   # codec id 0: a group
_SHARED_CODEC_IDS: dict = {}
_SHARED_INDEXED: dict = {}     # "elements[3]" -> (id of "elements", 3), for small indexes
# The compiled twin first looks a name or codec up by hash slot and identity in these
# entries, (name, id | (index + 1) << 16) and (codec, id): a hit costs far less in C than a
# dict look-up. They belong to the shared tables and are replaced with them.
LOOKUP_SLOTS = 1024            # a power of two
_LOOKUP_MASK = LOOKUP_SLOTS - 1
_SHARED_NAME_SLOTS: list = [None] * LOOKUP_SLOTS
_SHARED_CODEC_SLOTS: list = [None] * LOOKUP_SLOTS
# Codec ids of integer leaves by (kind, size) (Tape.int_codec_id), then of the BER length and
# plain bytes codecs, 0 until first used; they belong to the shared codec table and are
# replaced with it.
INT_KINDS = 4                  # unsigned big / little endian, signed big / little endian
INT_SIZES = 33                 # byte sizes 0..32 have codec names in _U/_ULE/_I/_ILE
BER_LEN_CODEC, BYTES_CODEC = INT_KINDS * INT_SIZES, INT_KINDS * INT_SIZES + 1
_CODEC_ID_SLOTS = INT_KINDS * INT_SIZES + 2
_SHARED_INT_CODEC_IDS: list = [0] * _CODEC_ID_SLOTS
INDEXED_CACHE = 256
SHARED_MEANINGS_FROM = 1024
INDEXED_CACHE_SIZE = 1 << 16
_NAMES_LOCK = threading.Lock()
_refcount = sys.getrefcount
_SPARE_TAPES: deque = deque()  # the last small tapes made, oldest first (_reusable_tape)
SPARE_TAPES = 40               # more than the messages `gbcs validate` decodes ahead
SPARE_DATA_MAX = 1 << 16       # bytes of input a pooled tape may keep alive


def _uint_codec(size: int, little: bool) -> str:
    table = _ULE if little and size > 1 else _U
    return table[size] if size < 33 else f"u{size * 8}" + ("le" if little and size > 1 else "")


def _sint_codec(size: int, little: bool) -> str:
    table = _ILE if little and size > 1 else _I
    return table[size] if size < 33 else f"i{size * 8}" + ("le" if little and size > 1 else "")


def _length(n) -> int:
    """`n` as a C integer in the compiled twin (without boxing the bytes left to compare it
    with); a length too large for one is past any input's end either way."""
    try:
        return n
    except OverflowError:
        if n > 0:
            return MAX_INPUT + 1
        raise


def _index_cut(text: str) -> int:
    """Where "[" is in a name like "elements[12]" (a base and a plain decimal index of at most
    9 digits, no leading zero), else -1: such names are kept as base + number."""
    size = len(text)
    if size < 4 or text[size - 1] != "]":
        return -1
    if COMPILED:                        # a C loop over the characters
        k = size - 2
        while k > 0 and "0" <= text[k] <= "9":
            k -= 1
        digits = size - 2 - k
    else:
        k = text.rfind("[")
        digits = size - 2 - k
        if not text[k + 1:size - 1].isdigit() or not text[k + 1:size - 1].isascii():
            return -1
    if text[k] != "[" or k == 0 or digits < 1 or digits > 9 or (digits > 1 and text[k + 1] == "0"):
        return -1
    return k


def _table_id(items: list, ids: dict, key, limit: int, what: str) -> int:
    """The id of `key` in a table of names or codecs (a list and its index), added if new; the
    table may be shared with other threads' tapes."""
    with _NAMES_LOCK:
        found = ids.get(key)
        if found is not None:
            return found
        new = len(items)
        if new > limit:
            raise ConstraintError(f"more than {limit} distinct {what} in one tree; the message is not one "
                                  "this decoder can hold", 0, "message", rule="GBCS-D006")
        items.append(key)
        ids[key] = new
        return new


def _cut(data: bytes, start: int, stop: int) -> bytes:
    """data[start:stop], for 0 <= start <= stop <= len(data) (callers check). The compiled twin
    takes `data` as a char pointer (_walker_c.pxd), so the bytes are made straight from the
    buffer, without the slice object and index ints a bytes slice costs."""
    return data[start:stop]


class Tape:
    """The nodes of one tree as rows of flat arrays, in pre-order.

    Row fields: name (id into `names`) and index (for names like "elements[12]": the base
    name is interned once, the index kept as a number; -1 for none), start and end offsets,
    codec (id into `codecs`; 0 for a group), after (the row past the node's subtree; while
    a group is still open it holds its parent's row), meaning (id into `meanings`; 0 for
    None), vkind (how the value is had). `cur` is the innermost open group.
    """

    def __init__(self, data: bytes, capacity: int = 64):
        self.cap = capacity
        self._held = -1               # not pooled (_reusable_tape)
        self.a_name = _ZERO_H * capacity          # repeating a one-item array: no temporary bytes
        self.a_index = _ZERO_I * capacity
        self.a_start = _ZERO_I * capacity
        self.a_end = _ZERO_I * capacity
        self.a_after = _ZERO_I * capacity
        self.a_meaning = _ZERO_UI * capacity
        self.a_codec = _ZERO_B * capacity
        self.a_vkind = _ZERO_B * capacity
        self._bind()
        self._start(data)

    def _start(self, data: bytes) -> None:
        """No rows yet: a tree over `data` begins (the arrays are kept)."""
        self.data = data
        self.n = 0
        self.cur = -1
        # names are shared by the tapes of a process (they come from the specs and decoders,
        # so the table stays small); a fresh table is started when half of the ids are used
        global _SHARED_NAMES, _SHARED_NAME_IDS, _SHARED_INDEXED, _SHARED_CODECS, _SHARED_CODEC_IDS
        global _SHARED_NAME_SLOTS, _SHARED_CODEC_SLOTS, _SHARED_INT_CODEC_IDS
        if len(_SHARED_NAMES) > MAX_NAMES // 2:
            _SHARED_NAMES, _SHARED_NAME_IDS, _SHARED_INDEXED = [], {}, {}
            _SHARED_NAME_SLOTS = [None] * LOOKUP_SLOTS
        if len(_SHARED_CODECS) > MAX_CODECS // 2:
            _SHARED_CODECS, _SHARED_CODEC_IDS = [None], {}
            _SHARED_CODEC_SLOTS = [None] * LOOKUP_SLOTS
            _SHARED_INT_CODEC_IDS = [0] * _CODEC_ID_SLOTS
        self.names: list = _SHARED_NAMES
        self.name_ids: dict = _SHARED_NAME_IDS
        self.name_slots: list = _SHARED_NAME_SLOTS
        self.codecs: list = _SHARED_CODECS        # shared too: a few dozen codecs, all from the code
        self.codec_ids: dict = _SHARED_CODEC_IDS
        self.codec_slots: list = _SHARED_CODEC_SLOTS
        self.int_codec_ids: list = _SHARED_INT_CODEC_IDS
        self.meanings: list = [None]
        self.meaning_ids: dict = {}
        self.stored: dict = {}
        self._index = -1

    def _holders(self) -> int:
        """How many references the tape and its arrays have, summed (compared by
        _reusable_tape): each count is at its least when only the tape holds them, so any
        holder more raises the sum."""
        return (_refcount(self) + _refcount(self.a_name) + _refcount(self.a_index)
                + _refcount(self.a_start) + _refcount(self.a_end) + _refcount(self.a_after)
                + _refcount(self.a_meaning) + _refcount(self.a_codec) + _refcount(self.a_vkind))

    # -- storage ---------------------------------------------------------------------
    def _bind(self) -> None:
        # The compiled twin reads and writes the arrays through typed memoryviews; in the
        # pure-Python twin these are the arrays themselves.
        self.v_name = self.a_name
        self.v_index = self.a_index
        self.v_start = self.a_start
        self.v_end = self.a_end
        self.v_after = self.a_after
        self.v_meaning = self.a_meaning
        self.v_codec = self.a_codec
        self.v_vkind = self.a_vkind

    def _release(self) -> None:
        self.v_name = None
        self.v_index = None
        self.v_start = None
        self.v_end = None
        self.v_after = None
        self.v_meaning = None
        self.v_codec = None
        self.v_vkind = None

    def _grow(self) -> None:
        # An array exporting a buffer cannot grow: release the views, grow in place (realloc
        # moves pages rather than copying them), bind again. Small tapes double (few grows);
        # past GROW_DOUBLING_UP_TO rows an eighth more each time keeps the unused tail small.
        more = self.cap if self.cap < GROW_DOUBLING_UP_TO else self.cap >> 3
        more = max(64, more)
        self._release()
        try:
            for attr, code in _FIELDS:
                getattr(self, attr).frombytes(bytes(more * array(code).itemsize))
            self.cap += more
        finally:                   # bound again whatever happens: add() relies on the views
            self._bind()

    def _intern_name(self, name) -> int:
        nid = self.name_ids.get(name)
        if nid is not None:
            self._index = -1
            return nid
        indexed = _SHARED_INDEXED.get(name) if self.names is _SHARED_NAMES else None
        if indexed is not None:
            self._index = indexed[1]
            return indexed[0]
        cut = _index_cut(name) if type(name) is str else -1
        if cut > 0:
            base = name[:cut]
            nid = self.name_ids.get(base)
            if nid is None:
                nid = self._new_name(base)
            self._index = int(name[cut + 1:-1])
            if self._index < INDEXED_CACHE and len(_SHARED_INDEXED) < INDEXED_CACHE_SIZE \
                    and self.names is _SHARED_NAMES:
                _SHARED_INDEXED[name] = (nid, self._index)
            return nid
        self._index = -1
        return self._new_name(name)

    def _new_name(self, name) -> int:
        return _table_id(self.names, self.name_ids, name, MAX_NAMES, "field names")

    def codec_id(self, codec) -> int:
        if codec is None:
            return 0
        cid = self.codec_ids.get(codec)
        return _table_id(self.codecs, self.codec_ids, codec, MAX_CODECS, "codecs") if cid is None else cid

    def int_codec_id(self, kind: int, size: int) -> int:
        """The codec id of an integer leaf of `size` bytes: kind 0 / 1 unsigned big / little
        endian, 2 / 3 signed."""
        if 0 <= size < INT_SIZES:
            k = kind * INT_SIZES + size
            cid = self.int_codec_ids[k]
            if cid:
                return cid
        else:
            k = -1
        codec = _uint_codec(size, kind == 1) if kind < 2 else _sint_codec(size, kind == 3)
        cid = self.codec_id(codec)
        if k >= 0:
            self.int_codec_ids[k] = cid
        return cid

    def fixed_codec_id(self, slot: int, codec: str) -> int:
        """The id of `codec`, kept in int_codec_ids[slot] (BER_LEN_CODEC, BYTES_CODEC)."""
        cid = self.int_codec_ids[slot]
        if not cid:
            cid = self.int_codec_ids[slot] = self.codec_id(codec)
        return cid

    def meaning_id(self, meaning) -> int:
        if meaning is None:
            return 0
        mid = len(self.meanings)
        # Equal texts share an id once the tree is large (memory); a small tree just appends,
        # cheaper than a look-up. Equal non-strings (1, True, 1.0) always stay distinct.
        if mid >= SHARED_MEANINGS_FROM and type(meaning) is str:
            known = self.meaning_ids.get(meaning)
            if known is not None:
                return known
            self.meaning_ids[meaning] = mid
        self.meanings.append(meaning)
        return mid

    @cython.boundscheck(False)  # i < cap: _grow() made room
    @cython.wraparound(False)
    @cython.initializedcheck(False)    # _grow() binds the views again whatever happens
    def add(self, name, start: int, end: int, codec: int, vkind: int, meaning) -> int:
        """A new row (a leaf, or a group when `codec` is 0); returns its number."""
        i = self.n
        if i == self.cap:
            self._grow()
        if COMPILED:
            slot = hash(name) & _LOOKUP_MASK
            entry = self.name_slots[slot]
            # equal names need not be one object (spec tables, f-strings): compare them too
            if entry is None or (entry[0] is not name and entry[0] != name):
                # the id and index packed in one int: one conversion per row, not two
                entry = (name, self._intern_name(name) | ((self._index + 1) << 16))
                self.name_slots[slot] = entry
            packed = entry[1]
            self.v_name[i] = packed & 0xFFFF
            self.v_index[i] = (packed >> 16) - 1
        else:
            nid = self.name_ids.get(name)
            if nid is None:
                self.v_name[i] = self._intern_name(name)
                self.v_index[i] = self._index
            else:
                self.v_name[i] = nid
                self.v_index[i] = -1
        self.v_start[i] = start
        self.v_end[i] = end
        self.v_after[i] = i + 1
        self.v_codec[i] = codec
        self.v_vkind[i] = vkind
        self.v_meaning[i] = 0 if meaning is None else self.meaning_id(meaning)
        self.n = i + 1
        return i

    def open(self, name, pos: int, meaning=None) -> int:
        """A new group inside the current one, now current itself."""
        i = self.add(name, pos, pos, 0, V_NONE, meaning)
        self.v_after[i] = self.cur
        self.cur = i
        return i

    @cython.boundscheck(False)  # cur is a row this tape opened
    @cython.wraparound(False)
    @cython.initializedcheck(False)    # _grow() binds the views again whatever happens
    def close(self, pos: int) -> int:
        """The current group ends at `pos`; its parent becomes current."""
        i = self.cur
        if i < 0 or i >= self.n:    # cur is public: checked before the unchecked stores below
            raise ValueError("finish() without a matching begin()")
        self.v_end[i] = pos
        self.cur = self.v_after[i]
        self.v_after[i] = self.n
        return i

    # -- reading rows ----------------------------------------------------------------
    def after(self, i: int) -> int:
        """The row past node i's subtree (the current row count while i is still open)."""
        a = self.v_after[i]
        return self.n if a <= i else a

    def name(self, i: int) -> str:
        base = self.names[self.v_name[i]]
        index = self.v_index[i]
        return base if index < 0 else f"{base}[{index}]"

    def start(self, i: int) -> int:
        return self.v_start[i]

    def end(self, i: int) -> int:
        return self.v_end[i]

    def codec(self, i: int):
        return self.codecs[self.v_codec[i]]

    def is_group(self, i: int) -> bool:
        return self.v_codec[i] == 0

    def meaning(self, i: int):
        return self.meanings[self.v_meaning[i]]

    def value(self, i: int):
        kind = self.v_vkind[i]
        if kind == V_NONE:
            return None
        if kind == V_STORED:
            return self.stored[i]
        s = self.v_start[i]
        e = self.v_end[i]
        if e - s == 1 and (kind == V_UBE or kind == V_BERLEN):
            return self.data[s]
        raw = _cut(self.data, s, e) if 0 <= s <= e <= len(self.data) else self.data[s:e]
        if kind == V_BYTES:
            return raw
        if kind == V_UBE:
            return int.from_bytes(raw, "big")
        if kind == V_ULE:
            return int.from_bytes(raw, "little")
        if kind == V_SBE:
            return int.from_bytes(raw, "big", signed=True)
        if kind == V_SLE:
            return int.from_bytes(raw, "little", signed=True)
        if kind == V_BERLEN:
            return raw[0] if raw[0] < 0x80 else int.from_bytes(raw[1:], "big")
        return struct.unpack(_FLOAT_FORMATS[kind], raw)[0]

    # -- writing through views -------------------------------------------------------
    def set_name(self, i: int, name) -> None:
        self.v_name[i] = self._intern_name(name)
        self.v_index[i] = self._index

    def set_start(self, i: int, start: int) -> None:
        self.v_start[i] = start

    def set_end(self, i: int, end: int) -> None:
        self.v_end[i] = end

    def set_codec(self, i: int, codec) -> None:
        if codec is None and self.v_codec[i] != 0:
            raise ValueError("a leaf of a decoded tree cannot become a group")
        if codec is not None and self.v_codec[i] == 0:
            raise ValueError("a group of a decoded tree cannot become a leaf")
        if codec is not None:
            self.v_codec[i] = self.codec_id(codec)

    def set_meaning(self, i: int, meaning) -> None:
        self.v_meaning[i] = self.meaning_id(meaning)

    def set_value(self, i: int, value) -> None:
        self.stored[i] = value
        self.v_vkind[i] = V_STORED

    # -- the tree --------------------------------------------------------------------
    def is_closed(self, i: int) -> bool:
        return self.v_after[i] > i

    def first_child(self, i: int) -> int:
        """The row of node i's first child, or -1."""
        if self.v_codec[i] != 0 or i + 1 >= self.after(i):
            return -1
        return i + 1

    def child_rows(self, i: int) -> array:
        """The rows of node i's children."""
        rows = array("i")
        stop = self.after(i)
        j = i + 1
        while j < stop:
            rows.append(j)
            j = self.after(j)
        return rows

    def children(self, i: int):
        """Node i's children (a gbcs.message.Children), or None for a leaf."""
        if self.v_codec[i] != 0:
            return None
        return Children(self, i)

    def child_named(self, i: int, name) -> int:
        """The row of the first child of i called `name`, or -1."""
        key = self.name_ids.get(name)
        index = -1
        if key is None:
            cut = _index_cut(name) if type(name) is str else -1
            if cut <= 0:
                return -1
            key = self.name_ids.get(name[:cut])
            if key is None:
                return -1
            index = int(name[cut + 1:-1])
        nid = key
        stop = self.after(i)
        j = i + 1
        while j < stop:
            if self.v_name[j] == nid and self.v_index[j] == index:
                return j
            j = self.after(j)
        return -1

    def find(self, i: int, path: str) -> int:
        for part in path.split("."):
            if i < 0:
                return -1
            i = self.child_named(i, part)
        return i

    def walk(self, i: int, prefix: str = ""):
        """(dotted path, view) for node i and every node below it, in byte order."""
        stop = self.after(i)
        ends: list = []
        paths: list = []
        own = self.name(i)
        for j in range(i, stop):
            while ends and j >= ends[-1]:
                ends.pop()
                paths.pop()
            if j == i:
                path = f"{prefix}.{own}" if prefix else own
            else:
                path = f"{paths[-1]}.{self.name(j)}"
            yield path, tape_view(self, j)
            if self.v_codec[j] == 0:
                ends.append(self.after(j))
                paths.append(path)

    def nodes(self, i: int):
        """The view of node i and of every node below it, in byte order."""
        for j in range(i, self.after(i)):
            yield tape_view(self, j)

    def leaves(self, i: int):
        for j in range(i, self.after(i)):
            if self.v_codec[j] != 0:
                yield tape_view(self, j)

    def span_of_codec(self, i: int, codec: str) -> int:
        """Bytes covered by leaves below i whose codec is `codec` (e.g. unparsed bytes)."""
        cid = self.codec_ids.get(codec)
        total = 0
        if cid is None:
            return 0
        for j in range(i, self.after(i)):
            if self.v_codec[j] == cid:
                total += self.v_end[j] - self.v_start[j]
        return total

    def to_dict(self, i: int) -> dict:
        """Node i as Node.to_dict() gives it, built row by row (no recursion)."""
        top: dict = {}
        lists: list = []
        ends: list = []
        names, data = self.names, self.data
        stop = self.after(i)
        for j in range(i, stop):
            while ends and j >= ends[-1]:
                ends.pop()
                lists.pop()
            start = self.v_start[j]
            end = self.v_end[j]
            index = self.v_index[j]
            name = names[self.v_name[j]] if index < 0 else f"{names[self.v_name[j]]}[{index}]"
            out = {"name": name, "offset": start, "length": end - start}
            group = self.v_codec[j] == 0
            if not group:
                out["codec"] = self.codecs[self.v_codec[j]]
                kind = self.v_vkind[j]
                if kind == V_BYTES:                 # the common cases read here; json_value's forms
                    out["value"] = data[start:end].hex().upper()
                elif kind == V_UBE and end - start == 1:
                    out["value"] = data[start]
                else:
                    out["value"] = json_value(self.value(j))
            meaning = self.meanings[self.v_meaning[j]]
            if meaning is not None:
                out["meaning"] = meaning
            if lists:
                lists[-1].append(out)
            else:
                top = out
            if group:
                kids: list = []
                out["children"] = kids
                lists.append(kids)
                ends.append(self.after(j))
        return top

    # -- pickling --------------------------------------------------------------------
    def state(self, i: int) -> tuple:
        """Node i's subtree as plain data (gbcs.message rebuilds it with from_state)."""
        stop = self.after(i)
        after = array("i", self.a_after[i:stop])
        for j in range(stop - i):
            a = after[j]
            after[j] = (stop if a <= j + i else a) - i
        rows = [getattr(self, attr)[i:stop].tobytes() for attr, _ in _FIELDS]
        rows[4] = after.tobytes()
        stored = {j - i: v for j, v in self.stored.items() if i <= j < stop}
        used = max(self.a_name[i:stop]) + 1 if stop > i else 0      # the shared table's first names
        return (1, self.data, stop - i, rows, self.names[:used], list(self.codecs), list(self.meanings), stored)

    @classmethod
    def from_state(cls, state: tuple) -> "Tape":
        version, data, n, rows, names, codecs, meanings, stored = state
        if version != 1:
            raise ValueError(f"cannot read a pickled tree of format {version}")
        tape = cls(data, max(n, 1))
        tape._release()
        for (attr, code), raw in zip(_FIELDS, rows):
            setattr(tape, attr, array(code, raw))
        tape._bind()
        tape.n = tape.cap = n
        tape.names = names
        tape.name_ids = {name: k for k, name in enumerate(names)}
        tape.name_slots = [None] * LOOKUP_SLOTS
        tape.codecs = codecs
        tape.codec_ids = {c: k for k, c in enumerate(codecs) if k}
        tape.codec_slots = [None] * LOOKUP_SLOTS
        tape.int_codec_ids = [0] * _CODEC_ID_SLOTS
        tape.meanings = meanings
        tape.meaning_ids = {m: k for k, m in enumerate(meanings) if type(m) is str}
        tape.stored = stored
        return tape


def _reusable_tape(data: bytes, rows: int) -> Tape:
    """A tape for a new tree of about `rows` rows: the oldest of the last SPARE_TAPES small tapes
    made, emptied, when nothing holds it or its arrays any more (no message, node, child list or
    array of its tree is alive: they would count), since arrays and their views cost more to make
    than most trees' rows; otherwise a new one. A tape's counts are taken the same way each time:
    held only by the local name here. One candidate is tried, so a decode costs the same however
    many trees are alive (a caller keeping the last result, or a batch of results, still finds
    free tapes at the front)."""
    if len(data) > SPARE_DATA_MAX:
        return Tape(data, rows)    # a pooled tape keeps its input alive: only small ones
    pool = _SPARE_TAPES
    tape = None
    if pool:
        try:
            tape = pool.popleft()
        except IndexError:         # another thread took the last one
            tape = None
    if tape is not None:
        if tape._holders() != tape._held:
            if len(pool) < SPARE_TAPES:
                pool.append(tape)  # still in use: look again later
        elif rows <= tape.cap <= SPARE_ROWS_MAX:
            tape._start(data)
            pool.append(tape)
            return tape
        # a free tape too small for this tree is dropped: the new one takes its place, so the
        # pool's tapes come to fit the trees decoded
    tape = Tape(data, max(rows, SPARE_ROWS_MIN))
    if tape.cap <= SPARE_ROWS_MAX:
        tape._held = tape._holders()
        if len(pool) < SPARE_TAPES:
            pool.append(tape)
    return tape


class Walker:
    __slots__ = ("data", "buf", "pos", "end", "budget", "tape", "last_row")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None,
                 root: Node | None = None, budget: int | None = None):
        if type(data) is not bytes:
            data = bytes(data)          # values are read again from these bytes: they must not change
        if len(data) > MAX_INPUT:
            raise ConstraintError(f"{len(data)} bytes is more than one message can hold; split the input",
                                  0, "message", rule="GBCS-D006")
        if end is None:
            end = len(data)
        if not 0 <= pos <= end <= len(data):    # the reads below rely on it (no bounds checks)
            raise ValueError(f"walker bounds {pos}..{end} are not within the {len(data)} bytes given")
        self.data = data
        self.buf = data
        self.pos = pos
        self.end = end
        self.budget = budget if budget is not None else NODE_ALLOWANCE + NODES_PER_BYTE * len(data)
        # room for nearly every tree at once (RTDS: 0.6 nodes per byte, 0.74 at the 90th
        # percentile): growing costs more than the unused rows of a small tree
        self.tape = _reusable_tape(data, min(INITIAL_ROWS_MAX, 32 + len(data) - (len(data) >> 2)))
        self.last_row = -1
        if root is None:
            self.tape.open("message", pos)
        else:
            self.tape.open(root.name, root.start, root.meaning)

    # -- tree ------------------------------------------------------------------------
    @property
    def root(self) -> Node:
        return tape_view(self.tape, 0)

    @property
    def current(self) -> Node:
        return tape_view(self.tape, self.tape.cur)

    @property
    def last(self) -> Node | None:
        """The leaf read last."""
        return None if self.last_row < 0 else tape_view(self.tape, self.last_row)

    def path(self, name: str | None = None) -> str:
        tape = self.tape
        parts = []
        i = tape.cur
        while i > 0:
            parts.append(tape.name(i))
            i = tape.v_after[i]
        parts.reverse()
        if name:
            parts.append(name)
        return ".".join(parts)

    def spend(self, count: int = 1, name: str | None = None) -> None:
        self.budget -= count
        if self.budget < 0:
            raise ConstraintError("too many elements for the size of the input; the counts in "
                                  "this message are not credible", self.pos, self.path(name),
                                  rule="GBCS-D006")

    def begin(self, name: str) -> Node:
        return tape_view(self.tape, self.open_group(name))

    def finish(self) -> Node:
        return tape_view(self.tape, self.tape.close(self.pos))

    # begin/finish without making a view: the decoders' hot path
    @cython.boundscheck(False)  # the row add() returned
    @cython.wraparound(False)
    @cython.initializedcheck(False)    # _grow() binds the views again whatever happens
    def open_group(self, name: str) -> int:
        """A new group, now current; returns its row."""
        self.budget -= 1
        if self.budget < 0:
            self.spend(0, name)
        tape = self.tape
        i = tape.add(name, self.pos, self.pos, 0, V_NONE, None)     # tape.open, inline
        tape.v_after[i] = tape.cur
        tape.cur = i
        return i

    def close_group(self) -> int:
        """The current group ends here; returns its row."""
        return self.tape.close(self.pos)

    def set_last_meaning(self, meaning) -> None:
        """The meaning of the leaf read last."""
        if self.last_row < 0:
            raise ValueError("no leaf has been read yet")
        self.tape.set_meaning(self.last_row, meaning)

    def set_meaning(self, row: int, meaning) -> None:
        self.tape.set_meaning(row, meaning)

    @property
    def last_start(self) -> int:
        """Where the leaf read last starts."""
        return self.tape.v_start[self.last_row]

    def _leaf(self, name, start: int, codec: str, vkind: int, meaning) -> None:
        self.budget -= 1
        if self.budget < 0:
            self.spend(0, name)
        tape = self.tape
        if COMPILED:
            slot = hash(codec) & _LOOKUP_MASK
            entry = tape.codec_slots[slot]
            if entry is None or (entry[0] is not codec and entry[0] != codec):
                entry = (codec, tape.codec_id(codec))
                tape.codec_slots[slot] = entry
            cid = entry[1]
        else:
            cid = tape.codec_ids.get(codec)
            if cid is None:
                cid = tape.codec_id(codec)
        self.last_row = tape.add(name, start, self.pos, cid, vkind, meaning)

    def _leaf_id(self, name, start: int, cid: int, vkind: int, meaning) -> None:
        """_leaf for a codec already given as its id."""
        self.budget -= 1
        if self.budget < 0:
            self.spend(0, name)
        self.last_row = self.tape.add(name, start, self.pos, cid, vkind, meaning)

    def leaf(self, name: str, start: int, codec: str, value, meaning: str | None = None) -> Node:
        """A leaf with a value of the caller's making (kept as given)."""
        self._leaf(name, start, codec, V_STORED, meaning)
        self.tape.stored[self.last_row] = value
        return tape_view(self.tape, self.last_row)

    # -- bounds ----------------------------------------------------------------------
    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def need(self, n: int, name: str) -> None:
        if n > self.end - self.pos:
            avail = self.end - self.pos
            raise TruncatedError(f"needs {n} byte{'s' if n != 1 else ''}, {avail} remain{'s' if avail == 1 else ''}"
                                 " — the message is truncated or a length before it is wrong",
                                 self.pos, self.path(name), needed=n, available=avail)

    def push_limit(self, length: int, name: str, length_at: int | None = None) -> int:
        """Confine reading to the next `length` bytes; returns the outer end for pop_limit."""
        if length > self.end - self.pos:
            raise LengthError(f"declares {length} bytes but only {self.end - self.pos} remain — "
                              "the message is truncated or the length is wrong",
                              self.pos if length_at is None else length_at, self.path(name),
                              expected=length, actual=self.end - self.pos)
        outer = self.end
        self.end = self.pos + length
        return outer

    def pop_limit(self, outer: int, name: str | None) -> None:
        if self.pos != self.end:
            left = self.end - self.pos
            raise LengthError(f"{left} byte{'s' if left != 1 else ''} left over inside a field of "
                              "declared length — the length is wrong or the content is malformed",
                              self.pos, self.path(name), rule="GBCS-D005", actual=left)
        self.end = outer

    def peek(self, offset: int = 0) -> int | None:
        p = self.pos + offset
        return self.buf[p] if p < self.end else None

    def peek_bytes(self, n: int) -> bytes:
        return self.data[self.pos:min(self.pos + n, self.end)]

    # -- leaves ----------------------------------------------------------------------
    def _int(self, start: int, size: int, little: bool):
        """The unsigned integer in `size` bytes at `start`."""
        if size == 1:
            return self.buf[start]
        if COMPILED and size <= 8:          # C arithmetic; in Python int.from_bytes is faster
            return self._acc(start, size, little)
        return int.from_bytes(_cut(self.data, start, start + size), "little" if little else "big")

    @cython.boundscheck(False)  # every caller checked start + size <= end
    @cython.wraparound(False)
    def _acc(self, start: int, size: int, little: bool) -> int:
        """The unsigned integer in `size` (at most 8) bytes at `start`, by C arithmetic."""
        acc = 0
        if little:
            for k in range(start + size - 1, start - 1, -1):
                acc = (acc << 8) | self.buf[k]
        else:
            for k in range(start, start + size):
                acc = (acc << 8) | self.buf[k]
        return acc

    @cython.boundscheck(False)  # need() checked the bytes
    @cython.wraparound(False)
    def uint(self, name: str, size: int, meaning: str | None = None) -> int:
        """Big-endian unsigned integer."""
        if size > self.end - self.pos:
            self.need(size, name)
        start = self.pos
        n = size
        self.pos = start + n
        value = self.buf[start] if n == 1 else self._int(start, n, False)
        # _leaf_id written out: the commonest leaf of all
        tape = self.tape
        cid = tape.int_codec_ids[n] if 0 <= n < INT_SIZES else 0
        if not cid:
            cid = tape.int_codec_id(0, n)
        self.budget -= 1
        if self.budget < 0:
            self.spend(0, name)
        self.last_row = tape.add(name, start, self.pos, cid, V_UBE, meaning)
        return value

    def uint_le(self, name: str, size: int, meaning: str | None = None) -> int:
        if size == 1:
            return self.uint(name, 1, meaning)
        self.need(size, name)
        start = self.pos
        n = size
        self.pos = start + n
        value = self._int(start, n, True)
        self._leaf_id(name, start, self.tape.int_codec_id(1, n), V_ULE, meaning)
        return value

    def sint(self, name: str, size: int, little: bool = False, meaning: str | None = None) -> int:
        if size > self.end - self.pos:
            self.need(size, name)
        start = self.pos
        self.pos = start + size
        value = self._sint(start, size, little)
        self._leaf_id(name, start, self.tape.int_codec_id(3 if little else 2, size),
                      V_SLE if little else V_SBE, meaning)
        return value

    def _sint(self, start: int, size: int, little: bool):
        """The two's-complement integer in `size` bytes at `start`."""
        if COMPILED and 0 < size < 8:       # C arithmetic, as in _int
            acc = self._acc(start, size, little)
            one = 1
            top = one << (8 * size - 1)
            if acc & top:
                magnitude = (top << 1) - acc      # below 2**56: fits a signed 64-bit integer
                return -magnitude
            return acc
        raw = _cut(self.data, start, start + size) if size >= 0 else b""
        return int.from_bytes(raw, "little" if little else "big", signed=True)

    def float(self, name: str, size: int, little: bool = False) -> float | bytes:
        self.need(size, name)
        start = self.pos
        self.pos = start + size
        raw = self.data[start:self.pos]
        codec = ("f32" if size == 4 else "f64") + ("le" if little else "")
        fmt = ("<" if little else ">") + ("f" if size == 4 else "d")
        value = struct.unpack(fmt, raw)[0]
        if struct.pack(fmt, value) != raw:        # NaN payloads: keep the bytes, lose nothing
            self._leaf(name, start, "bytes", V_BYTES, "float (not representable)")
            return raw
        kind = (V_F32LE if little else V_F32) if size == 4 else (V_F64LE if little else V_F64)
        self._leaf(name, start, codec, kind, None)
        return value

    def bytes(self, name: str, n: int, meaning: str | None = None, codec: str = "bytes") -> bytes:
        size = _length(n)
        if size > self.end - self.pos:
            self.need(n, name)
        start = self.pos
        self.pos = start + size
        value = _cut(self.data, start, self.pos) if size >= 0 else self.data[start:self.pos]
        if codec == "bytes":
            self._leaf_id(name, start, self.tape.fixed_codec_id(BYTES_CODEC, "bytes"), V_BYTES, meaning)
        else:
            self._leaf(name, start, codec, V_BYTES, meaning)
        return value

    def rest(self, name: str, codec: str = "bytes", meaning: str | None = None) -> bytes:
        return self.bytes(name, self.end - self.pos, meaning, codec)

    def ber_length(self, name: str) -> int:
        """A BER/DER definite length: short form, or 81/82/83/84 + big-endian value."""
        if self.pos >= self.end:
            self.need(1, name)
        start = self.pos
        first = self.buf[start]
        if first < 0x80:
            self.pos = start + 1
            self._leaf_id(name, start, self.tape.fixed_codec_id(BER_LEN_CODEC, "ber_len"), V_BERLEN, None)
            return first
        n = first & 0x7F
        if n == 0 or n > 4:
            raise ConstraintError(f"length byte 0x{first:02X} is not a definite length this format allows "
                                  "(short form 00-7F, or 81-84 followed by that many length bytes)",
                                  start, self.path(name), rule="GBCS-D007", actual=first)
        if 1 + n > self.end - start:
            self.need(1 + n, name)
        self.pos = start + 1 + n
        value = self._int(start + 1, n, False)
        self._leaf_id(name, start, self.tape.fixed_codec_id(BER_LEN_CODEC, "ber_len"), V_BERLEN, None)
        return value

    def expect(self, name: str, size: int, allowed, what: str, meaning: str | None = None,
               unknown_code: bool = False) -> int:
        """A big-endian unsigned field whose value must be in `allowed`.

        `unknown_code` marks fields whose values are codes from a table (tags, flags), so a
        stranger is an UnknownCodeError rather than a plain constraint breach.
        """
        start = self.pos
        value = self.uint(name, size, meaning)
        if value not in allowed:
            raise _not_allowed(value, size, allowed, what, unknown_code, start, self.path(name))
        return value


def _not_allowed(value: int, size: int, allowed, what: str, unknown_code: bool, start: int, path: str):
    shown = ", ".join(f"0x{v:0{size * 2}X}" for v in sorted(allowed))
    cls = UnknownCodeError if unknown_code else ConstraintError
    return cls(f"0x{value:0{size * 2}X} is not {what} (expected {shown})", start, path,
               expected=sorted(allowed), actual=value)
