"""Read specs/*.gbspec with lark, check every row against its schema, return a SpecSet.

Errors name file:line:col and what was expected. The checked SpecSet is cached on disk by
the content hash of the grammar and the spec files, so a CLI start does not re-parse.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from gbcs.errors import SpecError, SpecReferenceError, SpecSyntaxError
from gbcs.spec.ast import ABSENT, Call, Item, Name, Pos, Row
from gbcs.spec.types import FIELD_OPTIONS, LAYOUT_TYPES

_HERE = Path(__file__).resolve().parent.parent          # gbcs/
CACHE_VERSION = "2"


def _data_dir(name: str) -> Path:
    """specs/ and grammars/ live at the project root; an installed wheel carries them in gbcs/."""
    env = os.environ.get(f"GBCS_{name.upper()}")
    if env:
        return Path(env)
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise SpecError(f"cannot find the {name}/ folder (looked in {_HERE} and {_HERE.parent}); "
                    f"reinstall gbcs or set GBCS_{name.upper()}")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (_data_dir("grammars") / "gbspec.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _unescape(text: str) -> str:
    """Backslash escapes of a quoted spec string, keeping non-ASCII text (m³, Ω) intact."""
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


class _ToAst(Transformer):
    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _pos(self, meta_or_token) -> Pos:
        return Pos(self.file, getattr(meta_or_token, "line", 0), getattr(meta_or_token, "column", 0))

    def hex(self, children):
        return (int(children[0], 16), self._pos(children[0]))

    def int(self, children):
        return (int(children[0]), self._pos(children[0]))

    def string(self, children):
        tok = children[0]
        return (_unescape(tok[1:-1]), self._pos(tok))

    def absent(self, children):
        return (ABSENT, Pos(self.file, 0, 0))

    def name(self, children):
        tok = children[0]
        pos = self._pos(tok)
        return (Name(str(tok), pos), pos)

    @v_args(meta=True)
    def call(self, meta, children):
        tok, *args = children
        pos = self._pos(tok)
        return (Call(str(tok), tuple(a[0] for a in args), pos), pos)

    @v_args(meta=True)
    def row(self, meta, children):
        block = None
        if children and isinstance(children[-1], list):
            block = children.pop()
        values = [c[0] for c in children]
        positions = [c[1] for c in children]
        return Row(values, block, positions[0] if positions else self._pos(meta), positions)

    def block(self, children):
        return list(children)

    def title(self, children):
        return ("title", _unescape(children[0][1:-1]))

    def ref(self, children):
        return ("ref", _unescape(children[0][1:-1]))

    def prop(self, children):
        return (str(children[0]), children[1][0])

    def props(self, children):
        return ("props", dict(children))

    @v_args(meta=True)
    def item(self, meta, children):
        kind, name = children[0], children[1]
        parts = dict(c for c in children[2:-1])
        return Item(str(kind), str(name), parts.get("title"), parts.get("ref"), parts.get("props", {}),
                    children[-1], self._pos(kind))

    def start(self, children):
        return list(children)


def parse_text(text: str, file: str = "<spec>") -> list[Item]:
    """Parse one spec document into Items (syntax only, no schema checks)."""
    try:
        tree = _parser().parse(text if text.endswith("\n") else text + "\n")
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, file) from None
    return _ToAst(file).transform(tree)


def _syntax_error(exc: UnexpectedInput, text: str, file: str) -> SpecSyntaxError:
    line, column = getattr(exc, "line", 0) or 0, getattr(exc, "column", 0) or 0
    if isinstance(exc, UnexpectedToken):
        expected = sorted(exc.accepts or exc.expected)
        got = "end of line" if exc.token.type == "_NL" else repr(str(exc.token))
        if exc.token.type == "$END":
            got = "end of file"
        message = f"unexpected {got}"
    elif isinstance(exc, UnexpectedCharacters):
        expected = sorted(exc.allowed or ())
        message = f"unexpected character {text[exc.pos_in_stream]!r}"
    elif isinstance(exc, UnexpectedEOF):
        expected = sorted(exc.expected)
        message = "unexpected end of file (a '}' is missing?)"
        line, column = text.count("\n") + 1, 1
    else:
        expected, message = [], str(exc)
    shown = ", ".join(_TOKEN_WORDS.get(t, t) for t in expected[:8])
    return SpecSyntaxError(f"{message}; expected {shown or 'something else'}",
                           file, line, column, expected=shown)


_TOKEN_WORDS = {"_NL": "end of line", "NAME": "a name", "STRING": "a quoted string", "HEX": "0x… number",
                "INT": "a number", "LBRACE": "'{'", "RBRACE": "'}'", "LPAR": "'('", "RPAR": "')'",
                "MINUS": "'-'", "COMMA": "','", "EQUAL": "'='", "REF": "ref"}


# -- schema checking -------------------------------------------------------------------

_SCALARS = {"u8": (0, 0xFF), "u16": (0, 0xFFFF), "u32": (0, 0xFFFFFFFF), "u64": (0, 2**64 - 1),
            "int": (None, None)}


class Column:
    __slots__ = ("name", "type", "arg", "optional", "key", "unique", "pos")

    def __init__(self, row: Row):
        vals = row.values
        if len(vals) < 2 or not isinstance(vals[0], Name):
            raise SpecError("a schema column is `name type [key] [unique] [optional]`",
                            row.pos.file, row.pos.line, row.pos.column, expected="name type")
        self.name = vals[0].text
        t = vals[1]
        self.arg = None
        if isinstance(t, Call):
            self.type, self.arg = t.name, (t.args[0].text if t.args and isinstance(t.args[0], Name) else None)
        else:
            self.type = str(t)
        flags = {str(v) for v in vals[2:]}
        self.optional, self.key, self.unique = "optional" in flags, "key" in flags, "unique" in flags
        self.pos = row.positions[1]
        known = set(_SCALARS) | {"name", "text", "bool", "any", "enum", "table", "list"}
        if self.type not in known:
            raise SpecError(f"unknown column type {self.type!r}", self.pos.file, self.pos.line,
                            self.pos.column, expected=", ".join(sorted(known)))


class SpecSet:
    """Every checked spec item, by kind and name."""

    def __init__(self, items: Iterable[Item], digest: str = ""):
        self.digest = digest
        self._items: dict[tuple[str, str], Item] = {}
        self._by_kind: dict[str, list[Item]] = {}
        for item in items:
            key = (item.kind, item.name)
            if key in self._items:
                first = self._items[key].pos
                raise SpecReferenceError(f"{item.kind} {item.name!r} is defined twice (first at {first})",
                                         item.pos.file, item.pos.line, item.pos.column)
            self._items[key] = item
            self._by_kind.setdefault(item.kind, []).append(item)
        self._check()

    def derived(self, factory):
        """`factory(self)`, made once per SpecSet: the tables a decoder builds from the specs."""
        cache = self.__dict__.setdefault("_derived", {})
        value = cache.get(factory)
        if value is None:
            value = cache[factory] = factory(self)
        return value

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_derived", None)        # derived tables are rebuilt, never pickled
        return state

    # -- look-ups --
    def get(self, kind: str, name: str) -> Item:
        try:
            return self._items[(kind, name)]
        except KeyError:
            raise SpecReferenceError(f"no {kind} called {name!r} in specs/") from None

    def find(self, kind: str, name: str) -> Item | None:
        return self._items.get((kind, name))

    def of_kind(self, kind: str) -> list[Item]:
        return list(self._by_kind.get(kind, ()))

    def enum(self, name: str) -> Item:
        return self.get("enum", name)

    def enum_name(self, enum: str, value: int) -> str | None:
        row = self.get("enum", enum).by_key.get(value)
        return None if row is None else row.cells["name"]

    # -- checks --
    def _check(self) -> None:
        schemas = {item.name: item for item in self._by_kind.get("schema", [])}
        columns = {}
        for name, schema in schemas.items():
            columns[name] = [Column(r) for r in schema.rows]
        for item in self._items.values():
            if item.kind == "schema":
                continue
            if item.kind == "struct":
                self._check_struct(item.rows, item)
                continue
            cols = columns.get(item.kind)
            if cols is None:
                raise SpecReferenceError(
                    f"unknown kind {item.kind!r}: declare `schema {item.kind} {{ … }}` or use one of "
                    + ", ".join(sorted(set(columns) | {"schema", "struct"})),
                    item.pos.file, item.pos.line, item.pos.column)
            self._check_table(item, cols)
        # references to enums and tables need every item loaded first
        for item in self._items.values():
            if item.kind in ("schema", "struct"):
                if item.kind == "struct":
                    self._check_struct_refs(item.rows)
                continue
            for col in columns[item.kind]:
                if col.type == "enum" or (col.type == "list" and col.arg not in (None, "hex")):
                    for row in item.rows:
                        v = row.cells.get(col.name)
                        if v is None:
                            continue
                        for member in (v if col.type == "list" else (v,)):
                            self._check_ref(col, row, member)

    def _check_ref(self, col: Column, row: Row, value: Any) -> None:
        pos = row.positions[list(row.cells).index(col.name)] if row.positions else row.pos
        if col.type in ("enum", "list"):
            enum = self._items.get(("enum", col.arg))
            if enum is None:
                raise SpecReferenceError(f"column {col.name} refers to enum {col.arg!r}, which is not defined",
                                         col.pos.file, col.pos.line, col.pos.column)
            names = {r.cells["name"] for r in enum.rows}
            if value not in names:
                raise SpecReferenceError(f"{value!r} is not a member of enum {col.arg}",
                                         pos.file, pos.line, pos.column, expected=", ".join(sorted(names)))

    def _check_table(self, item: Item, cols: list[Column]) -> None:
        uniques: dict[str, dict] = {c.name: {} for c in cols if c.unique or c.key}
        for row in item.rows:
            if row.block is not None:
                raise SpecError("this kind of item takes no nested block", row.pos.file, row.pos.line,
                                row.pos.column)
            if len(row.values) > len(cols):
                p = row.positions[len(cols)]
                raise SpecError(f"too many values: a {item.kind} row has {len(cols)} columns "
                                f"({' '.join(c.name for c in cols)})", p.file, p.line, p.column,
                                expected="end of line")
            cells = {}
            for i, col in enumerate(cols):
                if i >= len(row.values) or row.values[i] is ABSENT:
                    if not col.optional:
                        p = row.positions[i] if i < len(row.positions) else row.pos
                        raise SpecError(f"missing value for column {col.name!r} ({col.type})",
                                        p.file, p.line, p.column, expected=col.type)
                    cells[col.name] = None
                    continue
                cells[col.name] = _coerce(col, row.values[i], row.positions[i])
            row.cells = cells
            for name, seen in uniques.items():
                v = cells.get(name)
                if v is None:
                    continue
                if v in seen:
                    p = row.pos
                    raise SpecReferenceError(f"{name} {v!r} appears twice in {item.kind} {item.name} "
                                             f"(first at line {seen[v].pos.line})", p.file, p.line, p.column)
                seen[v] = row
        key = next((c.name for c in cols if c.key), None)
        if key is not None:
            item.by_key = {row.cells[key]: row for row in item.rows}

    def _check_struct(self, rows: list[Row], item: Item) -> None:
        seen: dict[str, Row] = {}
        for row in rows:
            vals = row.values
            if len(vals) < 2 or not isinstance(vals[0], Name):
                raise SpecError("a struct row is `field type [options] [\"title\"]`", row.pos.file,
                                row.pos.line, row.pos.column, expected="field type")
            fname = vals[0].text
            if fname in seen:
                raise SpecReferenceError(f"field {fname!r} appears twice in struct {item.name}",
                                         row.pos.file, row.pos.line, row.pos.column)
            seen[fname] = row
            t = vals[1]
            tname = t.name if isinstance(t, Call) else (t.text if isinstance(t, Name) else None)
            arity = LAYOUT_TYPES.get(tname)
            p = row.positions[1]
            if arity is None:
                raise SpecReferenceError(f"unknown field type {tname or t!r}", p.file, p.line, p.column,
                                         expected=", ".join(sorted(LAYOUT_TYPES)))
            nargs = len(t.args) if isinstance(t, Call) else 0
            if nargs != arity[0]:
                raise SpecError(f"type {tname} takes {arity[0]} argument(s), got {nargs}", p.file, p.line,
                                p.column)
            if arity[1] != (row.block is not None):
                raise SpecError(f"type {tname} {'needs' if arity[1] else 'takes no'} nested {{ }} block",
                                p.file, p.line, p.column)
            options, title = {}, None
            for v, vp in zip(vals[2:], row.positions[2:]):
                if isinstance(v, str):
                    title = v
                elif isinstance(v, Call) and v.name in FIELD_OPTIONS:
                    options[v.name] = str(v.args[0]) if v.args else None
                else:
                    raise SpecError(f"unexpected {v!r} after the field type", vp.file, vp.line, vp.column,
                                    expected=", ".join(f"{o}(…)" for o in FIELD_OPTIONS) + ' or "title"')
            row.cells = {"field": fname, "type": tname,
                         "args": tuple(a.text if isinstance(a, Name) else a for a in t.args)
                         if isinstance(t, Call) else (),
                         "options": options, "title": title}
            if row.block is not None:
                self._check_struct(row.block, item)

    def _check_struct_refs(self, rows: list[Row]) -> None:
        for row in rows:
            p = row.positions[1]
            if row.cells["type"] == "struct" and ("struct", row.cells["args"][0]) not in self._items:
                raise SpecReferenceError(f"struct {row.cells['args'][0]!r} is not defined", p.file, p.line,
                                         p.column)
            enum = row.cells["options"].get("enum")
            if enum is not None and ("enum", enum) not in self._items:
                raise SpecReferenceError(f"enum {enum!r} is not defined", p.file, p.line, p.column)
            if row.block:
                self._check_struct_refs(row.block)


def _coerce(col: Column, value: Any, pos: Pos) -> Any:
    def bad(expected: str):
        return SpecError(f"column {col.name!r} expects {expected}, got {_show(value)}", pos.file, pos.line,
                         pos.column, expected=expected)
    t = col.type
    if t in _SCALARS:
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("a number" if t == "int" else f"a number that fits {t}")
        lo, hi = _SCALARS[t]
        if lo is not None and not lo <= value <= hi:
            raise bad(f"a number from {lo} to {hi:#x}")
        return value
    if t in ("name", "enum"):
        if not isinstance(value, Name):
            raise bad("a name")
        return value.text
    if t == "table":
        return value.text if isinstance(value, Name) else value
    if t == "list":
        # a/b/c as one name, or "a b c" as a string; list(hex) members are hex numbers
        if isinstance(value, Name):
            members = value.text.split("/")
        elif isinstance(value, str):
            members = value.replace(",", " ").split()
        else:
            raise bad("a/b/c names or a \"quoted list\"")
        if col.arg == "hex":
            try:
                return tuple(int(m, 16) for m in members)
            except ValueError:
                raise bad("hex numbers") from None
        return tuple(members)
    if t == "text":
        if not isinstance(value, str):
            raise bad('a "quoted string"')
        return value
    if t == "bool":
        if not isinstance(value, Name) or value.text not in ("yes", "no"):
            raise bad("yes or no")
        return value.text == "yes"
    if isinstance(value, Name):
        return value.text
    return value


def _show(value: Any) -> str:
    if isinstance(value, Name):
        return f"name {value.text}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, Call):
        return f"{value.name}(…)"
    return repr(value)


# -- loading -------------------------------------------------------------------------

def _spec_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.gbspec"))


def load_specs(folder: str | os.PathLike | None = None, *, use_cache: bool = True) -> SpecSet:
    folder = Path(folder) if folder is not None else _data_dir("specs")
    files = _spec_files(folder)
    if not files:
        raise SpecError(f"no *.gbspec files in {folder}")
    h = hashlib.sha256(CACHE_VERSION.encode())
    grammar_path = _data_dir("grammars") / "gbspec.lark"
    h.update(grammar_path.read_bytes())
    texts = []
    for f in files:
        raw = f.read_bytes()
        h.update(f.name.encode() + b"\0" + raw)
        texts.append((f, raw.decode("utf-8")))
    digest = h.hexdigest()
    cache = _cache_path(digest) if use_cache else None
    if cache is not None and cache.is_file():
        try:
            with cache.open("rb") as fh:
                loaded = pickle.load(fh)
            if isinstance(loaded, SpecSet) and loaded.digest == digest:
                return loaded
        except Exception:   # a stale or broken cache is only a missed shortcut
            pass
    items: list[Item] = []
    for f, text in texts:
        items.extend(parse_text(text, _display_name(f)))
    result = SpecSet(items, digest)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
        except OSError:
            pass
    return result


def _display_name(path: Path) -> str:
    return f"specs/{path.name}" if path.parent.name == "specs" else str(path)


def _cache_path(digest: str) -> Path | None:
    base = os.environ.get("GBCS_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    if not os.environ.get("GBCS_CACHE_DIR"):
        root = root / "gbcs"
    return root / f"specs-{digest[:32]}.pickle"


_DEFAULT: SpecSet | None = None


def specs() -> SpecSet:
    """The project's own specs, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_specs()
    return _DEFAULT
