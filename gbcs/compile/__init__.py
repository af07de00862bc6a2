"""Spec items compiled into other forms. structs: `struct` items -> construct Structs that parse and build."""
from gbcs.compile.structs import build_struct, compile_struct, parse_struct, to_python

__all__ = ["compile_struct", "build_struct", "parse_struct", "to_python"]
