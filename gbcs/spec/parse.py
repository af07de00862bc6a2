"""The gbspec grammar (grammars/gbspec.lark) run by lark: spec text -> Items, syntax only.

Only needed when the specs change: an installed gbcs reads the tables compiled at build time
(gbcs/spec/compiled.py), so lark is imported here and nowhere on the run-time path.
"""
from __future__ import annotations

from functools import lru_cache

from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from gbcs.errors import SpecSyntaxError
from gbcs.spec.ast import ABSENT, Call, Item, Name, Pos, Row


@lru_cache(maxsize=1)
def _parser() -> Lark:
    from gbcs.spec.load import _data_dir
    grammar = (_data_dir("grammars") / "gbspec.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _unescape(text: str) -> str:
    """Backslash escapes of a quoted spec string, keeping non-ASCII text (m³, Ω) intact."""
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


class _ToAst(Transformer):
    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _pos(self, meta_or_token) -> Pos:
        return Pos(self.file, getattr(meta_or_token, "line", 0), getattr(meta_or_token, "column", 0))

    def hex(self, children):
        return (int(children[0], 16), self._pos(children[0]))

    def int(self, children):
        return (int(children[0]), self._pos(children[0]))

    def string(self, children):
        tok = children[0]
        return (_unescape(tok[1:-1]), self._pos(tok))

    def absent(self, children):
        return (ABSENT, Pos(self.file, 0, 0))

    def name(self, children):
        tok = children[0]
        pos = self._pos(tok)
        return (Name(str(tok), pos), pos)

    @v_args(meta=True)
    def call(self, meta, children):
        tok, *args = children
        pos = self._pos(tok)
        return (Call(str(tok), tuple(a[0] for a in args), pos), pos)

    @v_args(meta=True)
    def row(self, meta, children):
        block = None
        if children and isinstance(children[-1], list):
            block = children.pop()
        values = [c[0] for c in children]
        positions = [c[1] for c in children]
        return Row(values, block, positions[0] if positions else self._pos(meta), positions)

    def block(self, children):
        return list(children)

    def title(self, children):
        return ("title", _unescape(children[0][1:-1]))

    def ref(self, children):
        return ("ref", _unescape(children[0][1:-1]))

    def prop(self, children):
        return (str(children[0]), children[1][0])

    def props(self, children):
        return ("props", dict(children))

    @v_args(meta=True)
    def item(self, meta, children):
        kind, name = children[0], children[1]
        parts = dict(c for c in children[2:-1])
        return Item(str(kind), str(name), parts.get("title"), parts.get("ref"), parts.get("props", {}),
                    children[-1], self._pos(kind))

    def start(self, children):
        return list(children)


def parse_text(text: str, file: str = "<spec>") -> list[Item]:
    """Parse one spec document into Items (syntax only, no schema checks)."""
    try:
        tree = _parser().parse(text if text.endswith("\n") else text + "\n")
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, file) from None
    return _ToAst(file).transform(tree)


def _syntax_error(exc: UnexpectedInput, text: str, file: str) -> SpecSyntaxError:
    line, column = getattr(exc, "line", 0) or 0, getattr(exc, "column", 0) or 0
    if isinstance(exc, UnexpectedToken):
        expected = sorted(exc.accepts or exc.expected)
        got = "end of line" if exc.token.type == "_NL" else repr(str(exc.token))
        if exc.token.type == "$END":
            got = "end of file"
        message = f"unexpected {got}"
    elif isinstance(exc, UnexpectedCharacters):
        expected = sorted(exc.allowed or ())
        message = f"unexpected character {text[exc.pos_in_stream]!r}"
    elif isinstance(exc, UnexpectedEOF):
        expected = sorted(exc.expected)
        message = "unexpected end of file (a '}' is missing?)"
        line, column = text.count("\n") + 1, 1
    else:
        expected, message = [], str(exc)
    shown = ", ".join(_TOKEN_WORDS.get(t, t) for t in expected[:8])
    return SpecSyntaxError(f"{message}; expected {shown or 'something else'}",
                           file, line, column, expected=shown)


_TOKEN_WORDS = {"_NL": "end of line", "NAME": "a name", "STRING": "a quoted string", "HEX": "0x… number",
                "INT": "a number", "LBRACE": "'{'", "RBRACE": "'}'", "LPAR": "'('", "RPAR": "')'",
                "MINUS": "'-'", "COMMA": "','", "EQUAL": "'='", "REF": "ref"}
