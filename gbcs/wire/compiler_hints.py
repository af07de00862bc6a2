"""The pure twin's stand-in for Cython's directive decorators.

A module compiled by Cython imports `cython` itself (a compile-time module, nothing is loaded at
run time) and honours `@cython.boundscheck(False)` and the like on the functions whose indexes
are checked by their own code. The pure twin imports this instead: the same names, doing
nothing, without importing Cython (milliseconds of start-up).
"""
from __future__ import annotations


def _keep(_flag: bool):
    def unchanged(function):
        return function
    return unchanged


class _Directives:
    boundscheck = wraparound = initializedcheck = cdivision = staticmethod(_keep)


cython = _Directives()
