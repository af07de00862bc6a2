"""The one place that picks the walker implementation.

The compiled twin (gbcs.wire._walker_c, built by Cython from walker.py when a compiler is
present) is used unless GBCS_PURE_PYTHON=1; both give identical trees and errors.
"""
from __future__ import annotations

import os

if os.environ.get("GBCS_PURE_PYTHON") == "1":
    from gbcs.wire.walker import Walker
    BACKEND = "python"
else:
    try:
        from gbcs.wire._walker_c import Walker  # type: ignore[no-redef]
        BACKEND = "cython"
    except ImportError:
        from gbcs.wire.walker import Walker
        BACKEND = "python"

__all__ = ["Walker", "BACKEND"]
