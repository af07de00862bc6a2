"""The one place that picks the walker implementation.

The compiled twin (gbcs.wire._walker_c, built by Cython from walker.py when a compiler is
present) is used when gbcs.backend.compiled_usable() says every twin is there and fresh (not with
GBCS_PURE_PYTHON=1); both give identical trees and errors.
"""
from __future__ import annotations

from gbcs.backend import compiled_usable
from gbcs.wire import walker as _python_walker

PythonWalker = _python_walker.Walker
PythonTape = _python_walker.Tape


def _compiled():
    if not compiled_usable():      # all twins or none (gbcs/backend.py)
        return None
    try:
        from gbcs.wire import _walker_c  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _walker_c


_twin = _compiled()
CompiledWalker = _twin.Walker if _twin is not None else None
CompiledTape = _twin.Tape if _twin is not None else None
Walker = CompiledWalker or PythonWalker
Tape = CompiledTape or PythonTape     # the tape class of the walker in use (unpickled trees get it)
BACKEND = "cython" if CompiledWalker is not None else "python"

__all__ = ["Walker", "Tape", "BACKEND", "PythonWalker", "CompiledWalker", "PythonTape", "CompiledTape"]
