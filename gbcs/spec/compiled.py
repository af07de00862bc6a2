"""The checked spec tables as a data-only file: written at build time, read at every start.

Nothing here can execute code: the file is JSON (no pickle, no marshal) read with `json`,
and every value is rebuilt through a closed set of constructors. A file is used only when
its header names the digest of the specs it was compiled from AND the SHA-256 of its body
matches; anything else (stale, truncated, planted) is ignored and the specs are parsed again.

Where the file lives:
- inside the package (gbcs/spec/compiled_specs.json), written by setup.py at install time;
- otherwise (a source checkout whose specs changed, or `load_specs(folder)`), in the user
  cache folder, only if that folder and file belong to this user and nobody else can write
  them. An unusable cache folder is skipped: the specs are then parsed on every start.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from gbcs.spec.ast import ABSENT, Call, Item, Name, Pos, Row

FORMAT = "gbcs-specs/1"
PACKAGED = Path(__file__).resolve().parent / "compiled_specs.json"
MAX_BYTES = 64 << 20          # the specs compile to about 1 MB; anything far larger is not ours


class _Bad(Exception):
    """The file is not a compiled spec set this version can read."""


# -- writing -----------------------------------------------------------------------------

def dumps(spec_set, digest: str) -> bytes:
    """`spec_set` (a checked SpecSet) as header line + JSON body."""
    files: dict[str, int] = {}

    def pos(p: Pos) -> list:
        return [files.setdefault(p.file, len(files)), p.line, p.column]

    def value(v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, str, float)):
            return v
        if isinstance(v, Name):
            return ["n", v.text, *pos(v.pos)]
        if isinstance(v, Call):
            return ["c", v.name, [value(a) for a in v.args], *pos(v.pos)]
        if v is ABSENT:
            return ["a"]
        if isinstance(v, list):
            return ["l", *map(value, v)]
        if isinstance(v, tuple):
            return ["t", *map(value, v)]
        if isinstance(v, dict):
            flat: list = ["d"]
            for k, x in v.items():
                flat += [value(k), value(x)]
            return flat
        raise TypeError(f"cannot store a {type(v).__name__} in the compiled specs")

    def rows(rs: list[Row], as_written: bool) -> list:
        # Past the checks only `cells` is read; the values as written (and their positions)
        # are kept for schema rows alone, which are read as written.
        return [[[value(v) for v in r.values] if as_written else [],
                 None if r.block is None else rows(r.block, as_written), pos(r.pos),
                 [pos(p) for p in r.positions] if as_written else [], value(r.cells)] for r in rs]

    items = []
    for item in spec_set._items.values():
        index = {id(r): i for i, r in enumerate(item.rows)}
        by_key = [[value(k), index[id(r)]] for k, r in item.by_key.items()]
        items.append([item.kind, item.name, item.title, item.ref, value(item.props), rows(item.rows, item.kind == "schema"),
                      pos(item.pos), by_key])
    body = json.dumps({"files": list(files), "items": items}, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")
    header = json.dumps({"format": FORMAT, "digest": digest, "sha256": hashlib.sha256(body).hexdigest()})
    return header.encode("ascii") + b"\n" + body


def write(path: Path, spec_set, digest: str, mode: int = 0o600) -> None:
    """Write atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as fh:
            fh.write(dumps(spec_set, digest))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# -- reading -----------------------------------------------------------------------------

def loads(blob: bytes, digest: str) -> list[Item]:
    """The Items in `blob`, or _Bad when it is not the compiled form of the specs `digest`."""
    header, sep, body = blob.partition(b"\n")
    if not sep:
        raise _Bad("no header")
    try:
        head = json.loads(header)
    except ValueError:
        raise _Bad("header is not JSON") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT or head.get("digest") != digest:
        raise _Bad("compiled from other specs or by another version")
    if hashlib.sha256(body).hexdigest() != head.get("sha256"):
        raise _Bad("body does not match its checksum")
    gc_was_on = gc.isenabled()
    gc.disable()              # tens of thousands of small acyclic objects: no cycles to find
    try:
        return _items(json.loads(body))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise _Bad(f"malformed body ({exc.__class__.__name__})") from None
    finally:
        if gc_was_on:
            gc.enable()


def _items(data: dict) -> list[Item]:
    files = data["files"]
    if not all(isinstance(f, str) for f in files):
        raise TypeError("file names")
    positions: dict[tuple, Pos] = {}

    def pos(f: int, line: int, column: int) -> Pos:
        key = (f, line, column)
        p = positions.get(key)
        if p is None:
            if not (isinstance(line, int) and isinstance(column, int)):
                raise TypeError("position")
            p = positions[key] = Pos(files[f], line, column)
        return p

    def value(v: Any) -> Any:
        if type(v) is not list:
            if v is None or type(v) in (bool, int, str, float):
                return v
            raise TypeError(type(v).__name__)
        tag = v[0]
        if tag == "n":
            return Name(_str(v[1]), pos(*v[2:5]))
        if tag == "c":
            return Call(_str(v[1]), tuple(value(a) for a in v[2]), pos(*v[3:6]))
        if tag == "a":
            return ABSENT
        if tag == "l":
            return [value(x) for x in v[1:]]
        if tag == "t":
            return tuple(value(x) for x in v[1:])
        if tag == "d":
            return {value(v[i]): value(v[i + 1]) for i in range(1, len(v), 2)}
        raise TypeError(f"tag {tag!r}")

    def rows(rs: list) -> list[Row]:
        out = []
        for values, block, p, ps, cells in rs:
            cells = value(cells)
            if not isinstance(cells, dict):
                raise TypeError("cells")
            out.append(Row([value(x) for x in values], None if block is None else rows(block), pos(*p),
                           [pos(*x) for x in ps], cells))
        return out

    items = []
    for kind, name, title, ref, props, rs, p, by_key in data["items"]:
        item_rows = rows(rs)
        props = value(props)
        if not isinstance(props, dict):
            raise TypeError("props")
        item = Item(_str(kind), _str(name), title if title is None else _str(title),
                    ref if ref is None else _str(ref), props, item_rows, pos(*p))
        item.by_key = {value(k): item_rows[i] for k, i in by_key}
        items.append(item)
    return items


def _str(v: Any) -> str:
    if type(v) is not str:
        raise TypeError("expected a string")
    return v


def read(path: Path, digest: str, *, owned: bool) -> list[Item] | None:
    """The Items in the file at `path`, or None when it is missing, unusable or not ours.

    `owned`: the file must belong to this user and be writable by nobody else (the user cache).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None
        if owned and not _private(st):
            return None
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            blob = fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    try:
        return loads(blob, digest)
    except _Bad:
        return None


def _private(st: os.stat_result) -> bool:
    """Owned by this user and not writable by group or others (where the OS has owners)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    return st.st_uid == getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


# -- the user cache ----------------------------------------------------------------------

def cache_dir() -> Path:
    explicit = os.environ.get("GBCS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "gbcs"


def cache_file(digest: str) -> Path:
    return cache_dir() / f"specs-{digest[:32]}.json"


def usable_cache_dir(create: bool) -> Path | None:
    """The cache folder if it is a private directory of this user (made if `create`), else None."""
    folder = cache_dir()
    try:
        if create and not folder.exists():
            folder.mkdir(parents=True, mode=0o700)
        st = folder.stat()
        if not stat.S_ISDIR(st.st_mode) or not _private(st) or not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
            return None
    except (OSError, RuntimeError):       # RuntimeError: Path.home() with no home
        return None
    return folder


def read_cache(digest: str) -> list[Item] | None:
    if usable_cache_dir(create=False) is None:
        return None
    return read(cache_file(digest), digest, owned=True)


def write_cache(spec_set, digest: str) -> None:
    """Best effort: a cache that cannot be written is only a missed shortcut."""
    if usable_cache_dir(create=True) is None:
        return
    try:
        write(cache_file(digest), spec_set, digest)
    except (OSError, TypeError, ValueError):   # TypeError: a cell type this format cannot hold yet
        pass
