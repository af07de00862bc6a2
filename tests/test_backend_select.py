"""gbcs/backend.py: the compiled twins are used unless GBCS_PURE_PYTHON=1, never when stale."""
from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys

from click.testing import CliRunner

from gbcs import backend
from gbcs.cli import main

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def fake_tree(tmp_path, monkeypatch, *, checkout: bool):
    pkg = tmp_path / "gbcs"
    (pkg / "payload").mkdir(parents=True)
    source = pkg / "payload" / "dlms.py"
    twin = pkg / "payload" / f"_c_dlms{SUFFIX}"
    source.write_text("")
    twin.write_bytes(b"")
    monkeypatch.setattr(backend, "_PACKAGE_ROOT", pkg)
    monkeypatch.setattr(backend, "_SOURCE_CHECKOUT", checkout)
    return source, twin


def test_twin_found_beside_its_source(tmp_path, monkeypatch):
    source, twin = fake_tree(tmp_path, monkeypatch, checkout=True)
    os.utime(source, (1000, 1000))
    os.utime(twin, (2000, 2000))
    assert backend.twin_path("gbcs.payload.dlms") == twin
    assert backend.twin_path("gbcs.payload.gbz") is None


def test_stale_twin_ignored_in_a_checkout_only(tmp_path, monkeypatch):
    source, twin = fake_tree(tmp_path, monkeypatch, checkout=True)
    os.utime(twin, (1000, 1000))
    os.utime(source, (2000, 2000))            # the .py was edited after the build
    assert backend.twin_path("gbcs.payload.dlms") is None
    monkeypatch.setattr(backend, "_SOURCE_CHECKOUT", False)   # installed: files' times mean nothing
    assert backend.twin_path("gbcs.payload.dlms") == twin


def test_finder_only_answers_for_the_decode_path():
    assert backend._FINDER.find_spec("gbcs.cli.messages") is None
    assert backend._FINDER.find_spec("json") is None


def test_pure_python_switch_and_version_text():
    code = "import gbcs, gbcs.backend as b; print(b.compiled_modules(), b.describe())"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, GBCS_PURE_PYTHON="1"),
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] python (GBCS_PURE_PYTHON=1)"
    version = CliRunner().invoke(main, ["--version"]).output
    assert f"backend: {backend.describe()}" in version
    if backend.compiled_modules():
        assert "cython (" in version


def _declared(pxd: str, cls: str) -> set[str]:
    """The attributes `cdef class <cls>` declares in a .pxd (public or not)."""
    import re
    from pathlib import Path
    text = (Path(backend.__file__).parent / pxd).read_text()
    body = re.search(rf"^cdef class {cls}\b.*?:\n((?:[ \t]+.*\n|\s*\n)*)", text, re.M).group(1)
    names: set[str] = set()
    for line in re.findall(r"^\s*cdef (?:public |readonly )?(?!class)[\w\[\]:, ]+? ([\w, ]+?)\s*(?:#.*)?$",
                           body, re.M):
        names |= {n.strip() for n in line.split(",")}
    return names


def test_pxd_declares_every_slot_of_its_class():
    """A twin's extension type has exactly the .py class's slots (a new slot needs a .pxd line)."""
    from gbcs.message import Children, Node
    from gbcs.wire.walker import Walker
    assert _declared("message.pxd", "Node") == set(Node.__slots__)
    assert _declared("message.pxd", "Children") == set(Children.__slots__)
    assert _declared("wire/_walker_c.pxd", "Walker") == set(Walker.__slots__)


def test_all_twins_or_none(tmp_path, monkeypatch):
    """One missing or stale twin (the walker's .pxd edited, say) makes every module run as Python."""
    pkg = tmp_path / "gbcs"
    twins = []
    for module in backend.COMPILED:
        parts = module.split(".")
        folder = pkg.joinpath(*parts[1:-1])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{parts[-1]}.py").write_text("")
        twins.append(folder / f"_c_{parts[-1]}{SUFFIX}")
    (pkg / "wire" / "walker.py").write_text("")
    (pkg / "wire" / "_walker_c.pxd").write_text("")
    twins.append(pkg / "wire" / f"_walker_c{SUFFIX}")
    for twin in twins:
        twin.write_bytes(b"")
        os.utime(twin, (3000, 3000))
    for source in pkg.rglob("*.p[yx]*"):
        os.utime(source, (1000, 1000))
    monkeypatch.setattr(backend, "_PACKAGE_ROOT", pkg)
    monkeypatch.setattr(backend, "_SOURCE_CHECKOUT", True)
    monkeypatch.delenv("GBCS_PURE_PYTHON", raising=False)
    assert backend.compiled_usable()
    os.utime(pkg / "wire" / "_walker_c.pxd", (4000, 4000))      # declarations changed, not rebuilt
    assert not backend.compiled_usable()
    os.utime(pkg / "wire" / "_walker_c.pxd", (1000, 1000))
    twins[0].unlink()
    assert not backend.compiled_usable()
    twins[0].write_bytes(b"")
    monkeypatch.setenv("GBCS_PURE_PYTHON", "1")
    assert not backend.compiled_usable()
