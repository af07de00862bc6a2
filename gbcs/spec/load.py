"""Read specs/*.gbspec (parsed by gbcs/spec/parse.py), check every row against its schema,
return a SpecSet.

Errors name file:line:col and what was expected. The checked tables are kept in a data-only
compiled form (gbcs/spec/compiled.py) keyed by the content hash of the grammar and the spec
files, so a start neither re-parses nor imports lark.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Iterable

from gbcs.errors import SpecError, SpecReferenceError
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


def parse_text(text: str, file: str = "<spec>") -> list[Item]:
    """Parse one spec document into Items (syntax only, no schema checks). Imports lark."""
    from gbcs.spec.parse import parse_text as parse
    return parse(text, file)


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
        try:                                  # the path every decode takes, several times
            return self._derived[factory]
        except (AttributeError, KeyError):
            pass
        cache = self.__dict__.setdefault("_derived", {})
        value = cache.get(factory)
        if value is None:
            value = cache[factory] = factory(self)
        return value

    @classmethod
    def restore(cls, items: Iterable[Item], digest: str) -> "SpecSet":
        """A SpecSet from items checked when they were compiled (gbcs/spec/compiled.py)."""
        self = cls.__new__(cls)
        self.digest = digest
        self._items, self._by_kind = {}, {}
        for item in items:
            self._items[(item.kind, item.name)] = item
            self._by_kind.setdefault(item.kind, []).append(item)
        return self

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
                    least, most = FIELD_OPTIONS[v.name]
                    if not least <= len(v.args) <= most:
                        raise SpecError(f"option {v.name}(…) takes {least}"
                                        f"{'' if least == most else f'-{most}'} argument(s)",
                                        vp.file, vp.line, vp.column)
                    args = tuple(a.text if isinstance(a, Name) else a for a in v.args)
                    options[v.name] = args if most > 1 else args[0]      # `enum(e)` -> "e"
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


def specs_digest(folder: Path) -> tuple[str, list[Path]]:
    """SHA-256 over the grammar and every spec file (names and bytes): what a compiled form is of."""
    files = _spec_files(folder)
    if not files:
        raise SpecError(f"no *.gbspec files in {folder}")
    h = hashlib.sha256(CACHE_VERSION.encode())
    h.update((_data_dir("grammars") / "gbspec.lark").read_bytes())
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest(), files


def load_specs(folder: str | os.PathLike | None = None, *, use_cache: bool = True) -> SpecSet:
    """The checked specs in `folder` (default: the project's).

    Read from their compiled form (gbcs/spec/compiled.py: data only, checked against the digest
    of the specs) when one exists; otherwise parsed with lark, checked, and cached.
    """
    from gbcs.spec import compiled
    folder = Path(folder) if folder is not None else _data_dir("specs")
    digest, files = specs_digest(folder)
    if use_cache:
        items = compiled.read(compiled.PACKAGED, digest, owned=False)
        if items is None:
            items = compiled.read_cache(digest)
        if items is not None:
            return SpecSet.restore(items, digest)
    items = []
    for f in files:
        items.extend(parse_text(f.read_bytes().decode("utf-8"), _display_name(f)))
    result = SpecSet(items, digest)
    if use_cache:
        compiled.write_cache(result, digest)
    return result


def _display_name(path: Path) -> str:
    return f"specs/{path.name}" if path.parent.name == "specs" else str(path)


_DEFAULT: SpecSet | None = None


def specs() -> SpecSet:
    """The project's own specs, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_specs()
    return _DEFAULT
