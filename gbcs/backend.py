"""Which implementation runs the decode path: Cython-compiled twins of its modules, or the .py.

setup.py compiles each module named in COMPILED from its own .py source (the pure-Python twin)
into `_c_<name>.<ext>` beside it; a twin keeps the module's real name, so classes, pickles and
tracebacks look the same. `install()` (run by gbcs/__init__ before anything is imported) puts
a finder first on sys.meta_path that loads those twins. The .py is used instead when
GBCS_PURE_PYTHON=1, when no twin was built (no compiler), or, in a source checkout, when the
twin is older than its .py (an edit is never shadowed by a stale build: `pip install -e .`).

All or nothing: the twins call each other through C types (a compiled decoder takes only the
compiled walker), so they are used only when every one of them, the walker included, is there
and fresh; otherwise every module runs as Python.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

# The hot path of decode and validate. setup.py reads this tuple (keep it a literal).
COMPILED = (
    "gbcs.message",
    "gbcs.decoding",
    "gbcs.payload.context",
    "gbcs.payload.dispatch",
    "gbcs.payload.dlms",
    "gbcs.payload.gbz",
    "gbcs.payload.asn1",
    "gbcs.payload.units",
    "gbcs.wire.layout",
    "gbcs.wire.codecs",
    "gbcs.wire.timefmt",
    "gbcs.spec.at_hand",
    "gbcs.io.tapejson",
    "gbcs.validate.engine",
    "gbcs.validate.facts",
    "gbcs.validate.envelope",
    "gbcs.validate.payload",
    "gbcs.validate.precision",
    "gbcs.validate.alert",
    "gbcs.validate.integrity",
    "gbcs.validate.certificate",
    "gbcs.crypto.integrity",
    "gbcs.crypto.envelope",
    "gbcs.crypto.decrypt",
    "gbcs.crypto.scheme",
    "gbcs.crypto.locate",
    "gbcs.crypto.gcm",
    "gbcs.crypto.kdf",
    "gbcs.crypto.ecdsa",
    "gbcs.io.records",
    "gbcs.io.text",
    "gbcs.io.stream",
    "gbcs.io.jsonout",
)
TWIN_PREFIX = "_c_"

_PACKAGE_ROOT = Path(__file__).resolve().parent          # gbcs/
_SOURCE_CHECKOUT = (_PACKAGE_ROOT.parent / ".git").exists()


def pure_python_requested() -> bool:
    return os.environ.get("GBCS_PURE_PYTHON") == "1"


def _fresh(twin: Path, sources: list[Path]) -> Path | None:
    """`twin` if it exists and, in a source checkout, is newer than every one of its sources."""
    try:
        built = twin.stat().st_mtime
    except OSError:
        return None
    if _SOURCE_CHECKOUT:
        for source in sources:
            if source.exists() and built < source.stat().st_mtime:
                return None                # stale: edited after the build
    return twin


def twin_path(module: str) -> Path | None:
    """The compiled twin of `module` that would be used, or None.

    Its sources are its .py and every .pxd of the package (a twin cimporting another twin's
    types was compiled against those declarations; a mismatch would crash rather than fail)."""
    parts = module.split(".")
    folder = _PACKAGE_ROOT.joinpath(*parts[1:-1])
    sources = [folder / f"{parts[-1]}.py", *_declarations()]
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        twin = _fresh(folder / f"{TWIN_PREFIX}{parts[-1]}{suffix}", sources)
        if twin is not None:
            return twin
    return None


def _declarations() -> list[Path]:
    """The .pxd files (C types of the twins), in a source checkout only (where times matter)."""
    if not _SOURCE_CHECKOUT:
        return []
    found = _PXD_FOUND.get(_PACKAGE_ROOT)
    if found is None:              # once per process: import runs this for every twin
        folders = {_PACKAGE_ROOT.joinpath(*name.split(".")[1:-1]) for name in COMPILED}
        found = _PXD_FOUND[_PACKAGE_ROOT] = sorted(p for folder in folders for p in folder.glob("*.pxd"))
    return found


_PXD_FOUND: dict[Path, list[Path]] = {}


def _walker_twin_path() -> Path | None:
    folder = _PACKAGE_ROOT / "wire"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        twin = _fresh(folder / f"_walker_c{suffix}", [folder / "walker.py", *_declarations()])
        if twin is not None:
            return twin
    return None


def compiled_usable() -> bool:
    """Whether the compiled twins run: asked for (no GBCS_PURE_PYTHON=1), and all built and fresh."""
    if pure_python_requested():
        return False
    return _walker_twin_path() is not None and all(twin_path(name) is not None for name in COMPILED)


class _TwinFinder:
    """Finds the compiled twin of a COMPILED module; everything else falls through."""

    def find_spec(self, name, path=None, target=None):
        if name not in COMPILED:
            return None
        twin = twin_path(name)
        if twin is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(name, str(twin))
        return importlib.util.spec_from_file_location(name, str(twin), loader=loader)


_FINDER = _TwinFinder()


def install() -> None:
    if any(isinstance(f, _TwinFinder) for f in sys.meta_path) or not compiled_usable():
        return
    sys.meta_path.insert(0, _FINDER)


def compiled_modules() -> list[str]:
    """The COMPILED modules now loaded from their compiled twin."""
    out = []
    for name in COMPILED:
        module = sys.modules.get(name)
        if module is not None and TWIN_PREFIX in Path(getattr(module, "__file__", "") or "").name:
            out.append(name)
    return out


def describe() -> str:
    """For `gbcs --version`: which backend runs, and how much of the hot path is compiled."""
    from gbcs.wire.backend import BACKEND as walker
    installed = any(isinstance(f, _TwinFinder) for f in sys.meta_path)
    compiled = [n for n in COMPILED if installed and twin_path(n) is not None]
    if not compiled and walker == "python":
        if pure_python_requested():
            reason = " (GBCS_PURE_PYTHON=1)"
        elif _walker_twin_path() is None and not any(twin_path(n) for n in COMPILED):
            reason = " (no compiled twins: pip install -e . with a C compiler builds them)"
        else:
            reason = (" (a compiled twin is missing or older than its .py or a .pxd: "
                      "pip install -e . rebuilds them)")
        return f"python{reason}"
    return (f"cython ({len(compiled)} of {len(COMPILED)} hot-path modules compiled"
            f"{', walker compiled' if walker == 'cython' else ''})")
