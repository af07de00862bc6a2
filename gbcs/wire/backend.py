"""The one place that picks the walker implementation.

The compiled twin (gbcs.wire._walker_c, built by Cython from walker.py when a compiler is
present) is used unless GBCS_PURE_PYTHON=1; both give identical trees and errors. In a source
checkout a twin older than walker.py is ignored, so an edit is never shadowed by a stale build.
"""
from __future__ import annotations

import os
from pathlib import Path

from gbcs.wire import walker as _python_walker

PythonWalker = _python_walker.Walker
PythonTape = _python_walker.Tape


def _compiled():
    if os.environ.get("GBCS_PURE_PYTHON") == "1":
        return None
    try:
        from gbcs.wire import _walker_c  # type: ignore[attr-defined]
    except ImportError:
        return None
    source = Path(_python_walker.__file__)
    if (source.parent.parent.parent / ".git").exists() and \
            Path(_walker_c.__file__).stat().st_mtime < source.stat().st_mtime:
        return None   # stale in-place build: rebuild with `pip install -e .`
    return _walker_c


_twin = _compiled()
CompiledWalker = _twin.Walker if _twin is not None else None
CompiledTape = _twin.Tape if _twin is not None else None
Walker = CompiledWalker or PythonWalker
Tape = CompiledTape or PythonTape     # the tape class of the walker in use (unpickled trees get it)
BACKEND = "cython" if CompiledWalker is not None else "python"

__all__ = ["Walker", "Tape", "BACKEND", "PythonWalker", "CompiledWalker", "PythonTape", "CompiledTape"]
