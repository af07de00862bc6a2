"""The compiled spec tables: data only, integrity-checked, and an unusable cache is skipped."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from gbcs.spec import compiled
from gbcs.spec import load as load_module
from gbcs.spec.load import SpecSet, _data_dir, load_specs, specs_digest


_PARSED: dict[tuple[str, str], list] = {}
_REAL_PARSE = load_module.parse_text


def _parse_once(text: str, file: str) -> list:
    """Each spec file parsed by lark once per test module (a parse takes about a second)."""
    key = (text, file)
    if key not in _PARSED:
        _PARSED[key] = _REAL_PARSE(text, file)
    return _PARSED[key]


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GBCS_CACHE_DIR", str(folder))
    monkeypatch.setattr(compiled, "PACKAGED", tmp_path / "no-packaged-tables.json")
    monkeypatch.setattr(load_module, "parse_text", _parse_once)
    return folder


@pytest.fixture(scope="module")
def parsed() -> SpecSet:
    return load_specs(use_cache=False)


def digest() -> str:
    return specs_digest(_data_dir("specs"))[0]


def same(a: SpecSet, b: SpecSet) -> None:
    assert list(a._items) == list(b._items)
    for key, x in a._items.items():
        y = b._items[key]
        assert (x.kind, x.name, x.title, x.ref, x.props, x.pos) == (y.kind, y.name, y.title, y.ref, y.props, y.pos)

        def walk(rs, ss):
            assert len(rs) == len(ss)
            for r, s in zip(rs, ss):
                assert (r.cells, r.pos) == (s.cells, s.pos)
                assert (r.block is None) == (s.block is None)
                if r.block is not None:
                    walk(r.block, s.block)
        walk(x.rows, y.rows)
        assert {k: r.cells for k, r in x.by_key.items()} == {k: r.cells for k, r in y.by_key.items()}
        assert all(r is y.rows[[id(q) for q in y.rows].index(id(r))] for r in y.by_key.values())


def test_compiled_tables_equal_the_parsed_specs(parsed):
    restored = SpecSet.restore(compiled.loads(compiled.dumps(parsed, "d" * 64), "d" * 64), "d" * 64)
    same(parsed, restored)
    assert restored.enum_name("cra_flag", 1) == "command"
    assert restored.get("message_codes", "gbcs").by_key[0x0059].cells["use_case"] == "ECS52"
    schema = restored.get("schema", "message_codes")
    assert schema.rows[0].values           # schema rows keep their values as written


def test_cache_is_written_once_and_then_read(cache, parsed, monkeypatch):
    first = load_specs()
    files = list(cache.iterdir())
    assert [f.suffix for f in files] == [".json"]
    assert files[0].stat().st_mode & 0o077 == 0
    monkeypatch.setattr(load_module, "parse_text", lambda *a: pytest.fail("parsed although the cache was valid"))
    same(first, load_specs())


def _marker_pickle(marker: Path) -> bytes:
    class Plant:
        def __reduce__(self):
            return (Path.touch, (marker,))
    return pickle.dumps(Plant())


def test_planted_pickles_are_never_loaded(cache, parsed, tmp_path):
    marker = tmp_path / "pickle-ran"
    cache.mkdir(mode=0o700)
    d = digest()
    for name in (f"specs-{d[:32]}.json", f"specs-{d[:32]}.pickle", "specs.pickle"):
        (cache / name).write_bytes(_marker_pickle(marker))
        os.chmod(cache / name, 0o600)
    same(parsed, load_specs())
    assert not marker.exists()


@pytest.mark.parametrize("tamper", ["garbage", "other-digest", "body-edited", "valid-hash-bad-shape"])
def test_tampered_cache_files_are_ignored(cache, parsed, tamper):
    cache.mkdir(mode=0o700)
    d = digest()
    good = compiled.dumps(parsed, d)
    header, _, body = good.partition(b"\n")
    if tamper == "garbage":
        blob = os.urandom(4096)
    elif tamper == "other-digest":
        blob = compiled.dumps(parsed, "0" * 64)
    elif tamper == "body-edited":     # a table changed but the checksum left alone
        blob = header + b"\n" + body.replace(b'"command"', b'"commanx"', 1)
    else:                             # a consistent file whose content is not a spec set
        body = json.dumps({"files": ["x"], "items": [["enum", "cra_flag", None, None, ["d"], [[1]], [0, 1, 1], []]]}).encode()
        blob = json.dumps({"format": compiled.FORMAT, "digest": d,
                           "sha256": hashlib.sha256(body).hexdigest()}).encode() + b"\n" + body
    target = compiled.cache_file(d)
    target.write_bytes(blob)
    os.chmod(target, 0o600)
    s = load_specs()
    same(parsed, s)
    assert compiled.read(target, d, owned=True) is not None      # rewritten with the good tables


def _altered(parsed: SpecSet, d: str) -> bytes:
    """A well-formed compiled file whose cra_flag 1 is called 'forged'."""
    blob = compiled.dumps(parsed, d)
    header, _, body = blob.partition(b"\n")
    body = body.replace(b'"command"', b'"forged"')
    head = json.loads(header)
    head["sha256"] = hashlib.sha256(body).hexdigest()
    return json.dumps(head).encode() + b"\n" + body


def test_cache_writable_by_others_is_not_trusted(cache, parsed):
    cache.mkdir(mode=0o700)
    d = digest()
    target = compiled.cache_file(d)
    target.write_bytes(_altered(parsed, d))
    os.chmod(target, 0o666)
    assert load_specs().enum_name("cra_flag", 1) == "command"
    os.chmod(cache, 0o777)
    assert compiled.read_cache(d) is None


def test_cache_folder_that_is_a_file_is_skipped(cache, parsed):
    cache.write_text("not a folder")
    same(parsed, load_specs())
    assert cache.read_text() == "not a folder"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="needs POSIX owners")
def test_cache_folder_without_permission_is_skipped(cache, parsed, monkeypatch):
    cache.mkdir(mode=0o700)
    d = digest()
    target = compiled.cache_file(d)
    target.write_bytes(_altered(parsed, d))
    os.chmod(target, 0o600)
    if os.getuid() == 0:
        os.chown(cache, 65534, 65534)      # root passes any permission check: a foreign owner instead
    else:
        os.chmod(cache, 0)
    try:
        same(parsed, load_specs())
        monkeypatch.setenv("GBCS_CACHE_DIR", str(cache / "below"))
        same(parsed, load_specs())
    finally:
        os.chmod(cache, 0o700)
        if os.getuid() == 0:
            os.chown(cache, 0, 0)


def test_a_fresh_process_does_not_import_lark(cache, parsed):
    load_specs()                          # make sure a compiled form exists (cache or package)
    code = ("import sys, gbcs\n"
            "from gbcs.spec import specs\n"
            "specs()\n"
            "print('lark' in sys.modules)\n")
    env = dict(os.environ, GBCS_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_any_text_and_nested_values_round_trip():
    from support import core_schema_items
    from gbcs.spec.load import parse_text
    schema = parse_text("schema notes {\n code u16 key\n text text\n extra any optional\n}\n", "s.gbspec")
    items = parse_text('notes n "Notes" ref "§1" (p = 3) {\n 0x0001 "m³ Ω \\\\ \\" tab\\there" f(a, 2, "x")\n'
                       ' 2 "" -\n}\nstruct st "S" {\n a u8\n b repeat(a) {\n  c u16 enum(e) "title"\n }\n}\n'
                       'enum e { 1 one }\n', "n.gbspec")
    s = SpecSet(core_schema_items() + schema + items, "x" * 64)
    back = SpecSet.restore(compiled.loads(compiled.dumps(s, "x" * 64), "x" * 64), "x" * 64)
    same(s, back)
    row = back.get("notes", "n").by_key[1]
    assert row.cells["text"] == s.get("notes", "n").by_key[1].cells["text"]
    assert any(ord(ch) > 127 for ch in row.cells["text"]) and row.cells["extra"] == s.get("notes", "n").by_key[1].cells["extra"]
    assert back.get("struct", "st").rows[1].block[0].cells["options"] == {"enum": "e"}
