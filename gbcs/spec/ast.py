"""What a spec file says, as plain objects that remember where they were written."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Pos:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Call:
    """`name(arg, ...)` in a spec: a parameterised type or an option such as enum(cra_flag)."""
    name: str
    args: tuple
    pos: Pos


@dataclass(frozen=True, slots=True)
class Name:
    """A bare identifier in a spec (as opposed to a quoted string)."""
    text: str
    pos: Pos

    def __str__(self) -> str:
        return self.text


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "-"


ABSENT = _Absent()


@dataclass(slots=True)
class Row:
    values: list            # int | str | Name | Call | ABSENT, as written
    block: list["Row"] | None
    pos: Pos
    positions: list[Pos] = field(default_factory=list)   # one per value
    cells: dict[str, Any] = field(default_factory=dict)  # filled by the schema check

    def __getattr__(self, name: str) -> Any:
        try:
            return self.cells[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(slots=True)
class Item:
    kind: str
    name: str
    title: str | None
    ref: str | None
    props: dict[str, Any]
    rows: list[Row]
    pos: Pos
    by_key: dict[Any, Row] = field(default_factory=dict)

    def prop(self, name: str, default: Any = None) -> Any:
        return self.props.get(name, default)
