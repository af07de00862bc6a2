"""A decoded tree as compact JSON text, written straight from its tape's columns.

What gbcs.io.jsonout's streaming writer gives for a tree without indentation (Node.to_dict()'s
keys and order, json.dumps' text), row by row, with no dict or Node per field. Its compiled twin
(gbcs/backend.py COMPILED, C types in tapejson.pxd) reads the columns as C integers and writes
offsets, lengths, hex and small integers without Python objects between; the JSON writers use it
only there (COMPILED): in the pure-Python twin, Node dicts through orjson are faster.
"""
from __future__ import annotations

import json

from gbcs.message import json_value
from gbcs.wire import walker

# the value kinds written here without asking the tape (C integers in the compiled twin)
_BYTES, _UBE, _ULE, _BERLEN = walker.V_BYTES, walker.V_UBE, walker.V_ULE, walker.V_BERLEN
_MEANINGS_KEPT = 4096        # escaped meaning texts remembered (enumeration names come back often)

COMPILED = not __file__.endswith((".py", ".pyc"))

_string = json.encoder.encode_basestring_ascii

# the escaped texts of a shared name (or codec) table, by id; the tables are only ever appended
# to (gbcs.wire.walker), so a text once made stays right while its table is the same object
_NAME_TEXTS: list = [None, []]
_CODEC_TEXTS: list = [None, []]


def _texts(cache: list, table: list, unclosed: bool) -> list:
    """The escaped texts of `table`'s items (`unclosed`: without their closing quote)."""
    if cache[0] is not table:
        cache[0], cache[1] = table, []
    texts = cache[1]
    if len(texts) < len(table):
        # an item that is not text gets none: it is escaped (and fails) where a row uses it
        for item in table[len(texts):]:
            if type(item) is str:
                texts.append(_string(item)[:-1] if unclosed else _string(item))
            else:
                texts.append(None)
    return texts


_MEANING_TEXTS: dict = {}


def _meaning_text(meaning) -> str:
    """A meaning as JSON text, escaped once per distinct text."""
    if type(meaning) is not str:
        return _string(str(meaning))
    text = _MEANING_TEXTS.get(meaning)
    if text is None:
        if len(_MEANING_TEXTS) >= _MEANINGS_KEPT:
            _MEANING_TEXTS.clear()
        text = _MEANING_TEXTS[meaning] = _string(meaning)
    return text


_CODEC_KEY, _VALUE_KEY, _MEANING_KEY = ',"codec":', ',"value":', ',"meaning":'
_CHILDREN, _NO_CHILDREN = ',"children":[', ',"children":[]'


def scalar(value) -> str:
    """A leaf value as gbcs.io.jsonout writes it (bytes as upper-case hex)."""
    from gbcs.io.jsonout import _scalar
    return _scalar(json_value(value))


class TapeJson:
    """The tree at row `top` of a tape as compact JSON, in pieces of whole rows (`piece`), so a
    tree of a million rows is never one string. `closing_top` closes the top node (the extra
    keys of a record's tree go there)."""

    def __init__(self, tape, top: int, closing_top: str = "}"):
        self.tape = tape
        self.data = tape.data
        self.hexdata = None
        self.names = tape.names
        self.meanings = tape.meanings
        self.name_open = _texts(_NAME_TEXTS, tape.names, True)
        self.codec_text = _texts(_CODEC_TEXTS, tape.codecs, False)
        self.a_name = tape.a_name
        self.a_index = tape.a_index
        self.a_start = tape.a_start
        self.a_end = tape.a_end
        self.a_after = tape.a_after
        self.a_meaning = tape.a_meaning
        self.a_codec = tape.a_codec
        self.a_vkind = tape.a_vkind
        self.n = tape.n
        self.top = top
        self.row = top
        self.stop = tape.after(top)
        self.closing_top = closing_top
        self.close_at = []            # rows past the open groups, innermost last
        self.first = True

    def piece(self, rows: int) -> str:
        """The text of up to `rows` more rows ("" once the tree is written)."""
        pieces = []
        close_at = self.close_at
        data = self.data
        size = len(data)
        last = min(self.stop, self.row + rows)
        for j in range(self.row, last):
            while close_at and j >= close_at[-1]:
                close_at.pop()
                # the group opened first (at the bottom of the stack) is the top node
                pieces.append("]}" if close_at else "]" + self.closing_top)
                self.first = False
            comma = "" if self.first else ","
            nid = self.a_name[j]
            index = self.a_index[j]
            name = self.name_open[nid]
            if name is None:
                name = _string(self.names[nid])[:-1]
            suffix = "" if index < 0 else f"[{index}]"     # "elements[3]": the index needs no escaping
            start = self.a_start[j]
            end = self.a_end[j]
            cid = self.a_codec[j]
            codec_key = value_key = value = codec = quote = ""
            if cid:
                codec_key, value_key = _CODEC_KEY, _VALUE_KEY
                codec = self.codec_text[cid]
                if codec is None:
                    codec = _string(self.tape.codecs[cid])
                kind = self.a_vkind[j]
                if 0 <= start <= end <= size and kind == _BYTES:
                    if self.hexdata is None:
                        self.hexdata = data.hex().upper()
                    value = self.hexdata[2 * start:2 * end]
                    quote = '"'
                elif 0 <= start and end == start + 1 <= size and (kind == _UBE or kind == _BERLEN):
                    number = data[start]
                    value = f"{number}"
                elif 0 <= start and start < end <= size and end - start <= 7 and (kind == _UBE or kind == _ULE):
                    number = 0                 # an unsigned integer of up to 56 bits, as Tape.value reads it
                    if kind == _UBE:
                        for k in range(start, end):
                            number = number * 256 + data[k]
                    else:
                        for k in range(end - 1, start - 1, -1):
                            number = number * 256 + data[k]
                    value = f"{number}"
                else:
                    value = scalar(self.tape.value(j))
            mid = self.a_meaning[j]
            meaning_key = meaning = ""
            if mid:
                meaning_key = _MEANING_KEY
                meaning = _meaning_text(self.meanings[mid])
            closing = self.closing_top if j == self.top else "}"
            if cid:
                children = ""
                self.first = False
            else:
                after = self.a_after[j]
                if after <= j:                 # still open: the tape's row count (Tape.after)
                    after = self.n
                if after == j + 1:
                    children = _NO_CHILDREN
                    self.first = False
                else:
                    children, closing = _CHILDREN, ""
                    close_at.append(after)
                    self.first = True
            pieces.append(f'{comma}{{"name":{name}{suffix}","offset":{start},"length":{end - start}'
                          f'{codec_key}{codec}{value_key}{quote}{value}{quote}'
                          f'{meaning_key}{meaning}{children}{closing}')
        self.row = last
        if last == self.stop:
            while close_at:
                close_at.pop()
                pieces.append("]}" if close_at else "]" + self.closing_top)
        return "".join(pieces)
