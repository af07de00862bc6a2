"""Which implementation runs the decode path: Cython-compiled twins of its modules, or the .py.

setup.py compiles each module named in COMPILED from its own .py source (the pure-Python twin)
into `_c_<name>.<ext>` beside it; a twin keeps the module's real name, so classes, pickles and
tracebacks look the same. `install()` (run by gbcs/__init__ before anything is imported) puts
a finder first on sys.meta_path that loads those twins. The .py is used instead when
GBCS_PURE_PYTHON=1, when no twin was built (no compiler), or, in a source checkout, when the
twin is older than its .py (an edit is never shadowed by a stale build: `pip install -e .`).
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

# The decode hot path. setup.py reads this tuple (keep it a literal).
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
)
TWIN_PREFIX = "_c_"

_PACKAGE_ROOT = Path(__file__).resolve().parent          # gbcs/
_SOURCE_CHECKOUT = (_PACKAGE_ROOT.parent / ".git").exists()


def pure_python_requested() -> bool:
    return os.environ.get("GBCS_PURE_PYTHON") == "1"


def twin_path(module: str) -> Path | None:
    """The compiled twin of `module` that would be used, or None."""
    parts = module.split(".")
    folder = _PACKAGE_ROOT.joinpath(*parts[1:-1])
    source = folder / f"{parts[-1]}.py"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        twin = folder / f"{TWIN_PREFIX}{parts[-1]}{suffix}"
        try:
            built = twin.stat().st_mtime
        except OSError:
            continue
        if _SOURCE_CHECKOUT and source.exists() and built < source.stat().st_mtime:
            return None                    # stale: the .py was edited after the build
        return twin
    return None


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
    if pure_python_requested() or any(isinstance(f, _TwinFinder) for f in sys.meta_path):
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
    """For `gbcs --version`: which backend runs, and how much of the decode path is compiled."""
    from gbcs.wire.backend import BACKEND as walker
    installed = any(isinstance(f, _TwinFinder) for f in sys.meta_path)
    compiled = [n for n in COMPILED if installed and twin_path(n) is not None]
    if not compiled and walker == "python":
        reason = " (GBCS_PURE_PYTHON=1)" if pure_python_requested() else ""
        return f"python{reason}"
    return (f"cython ({len(compiled)} of {len(COMPILED)} decode-path modules compiled"
            f"{', walker compiled' if walker == 'cython' else ''})")
