"""Statement splitting and positions, with sqlglot's PostgreSQL tokenizer as the front end.

sqlglot's tokenizer knows dollar quotes, nested comments and string prefixes, and gives
character offsets, so each statement keeps its exact text and file position. The gap
before a statement (comments only) carries `-- dbagent:ignore` directives.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

_DIALECT = Postgres()
DIRECTIVE = "dbagent:ignore"


@dataclass
class Ignore:
    """`-- dbagent:ignore rule-a,rule-b reason` written just before a statement."""

    rules: tuple[str, ...]
    reason: str
    line: int
    column: int
    used: set[str] = field(default_factory=set)
    file: str = ""


@dataclass
class Piece:
    """One statement's text and where it starts in its file."""

    text: str
    offset: int
    line: int
    column: int
    ignores: list[Ignore]
    meta: bool = False  # a psql meta-command line such as \\set or \\i


class Positions:
    """Offset -> (line, column), both 1-based."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def at(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


def _directives(gap: str, gap_offset: int, pos: Positions) -> list[Ignore]:
    found = []
    cursor = 0
    for raw in gap.splitlines(keepends=True):
        at = raw.find("--")
        if at >= 0 and raw[at + 2:].strip().startswith(DIRECTIVE):
            words = raw[at + 2:].strip()[len(DIRECTIVE):].split(None, 1)
            rules = tuple(r for r in (words[0].split(",") if words else ()) if r)
            line, col = pos.at(gap_offset + cursor + at)
            found.append(Ignore(rules, words[1].strip() if len(words) > 1 else "", line, col))
        cursor += len(raw)
    return found


def split(text: str) -> tuple[list[Piece], tuple[int, str] | None]:
    """Statements and psql meta-commands of `text`; if the tokenizer stopped early, where and why."""
    pos = Positions(text)
    tokens, error = _tokens(text, pos)
    pieces: list[Piece] = []
    start: int | None = None
    gap_start = last_end = 0
    meta_until = -1
    for tok in tokens:
        if tok.start < meta_until:
            continue
        if tok.token_type == TokenType.BACKSLASH:
            # psql reads a meta-command to the end of its line; \g and friends also send the buffer
            eol = text.find("\n", tok.start)
            meta_until = len(text) if eol < 0 else eol
            name = (text[tok.start + 1:meta_until].split(None, 1) or [""])[0]
            if start is not None and name.startswith("g"):
                pieces.append(_piece(text, start, last_end, gap_start, pos))
                start, gap_start = None, last_end
            pieces.append(_piece(text, tok.start, meta_until, gap_start if start is None else tok.start,
                                 pos, meta=True))
            if start is None:
                gap_start = meta_until
            continue
        if tok.token_type == TokenType.SEMICOLON:
            if start is not None:
                pieces.append(_piece(text, start, tok.end + 1, gap_start, pos))
                start = None
            gap_start = tok.end + 1
            continue
        if start is None:
            start = tok.start
        last_end = tok.end + 1
    if start is not None:
        pieces.append(_piece(text, start, last_end, gap_start, pos))
    return pieces, error


def _tokens(text: str, pos: Positions) -> tuple[list, tuple[int, str] | None]:
    """All tokens, or those of the longest run of whole lines that tokenizes and where it broke."""
    try:
        return _DIALECT.tokenize(text), None
    except TokenError as exc:
        reason = str(exc).splitlines()[0][:120]
    lo, hi = 0, len(pos.starts)  # lines [0, lo) tokenize; [0, hi) do not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            _DIALECT.tokenize(text[:pos.starts[mid]])
            lo = mid
        except TokenError:
            hi = mid
    good = text[:pos.starts[lo]] if lo else ""
    return (_DIALECT.tokenize(good) if good else []), (pos.starts[lo], reason)


def _piece(text: str, start: int, end: int, gap_start: int, pos: Positions, meta: bool = False) -> Piece:
    line, col = pos.at(start)
    return Piece(text[start:end], start, line, col, _directives(text[gap_start:start], gap_start, pos),
                 meta)


def interpolate(text: str, values: dict[str, str]) -> str:
    """psql variable interpolation of known names: :name, :'name' (literal), :"name" (identifier).

    Tokens decide what is a reference, so colons in strings, casts (::) and array slices stay.
    """
    try:
        tokens = _DIALECT.tokenize(text)
    except TokenError:
        return text
    out, cursor = [], 0
    for prev, tok in zip(tokens, tokens[1:]):
        if prev.token_type != TokenType.COLON or tok.start != prev.end + 1 or tok.text not in values:
            continue
        if prev.start > 0 and text[prev.start - 1] == ":":
            continue  # a cast, ::type
        quote = text[tok.start]
        value = values[tok.text]
        if quote == "'":
            value = "'" + value.replace("'", "''") + "'"
        elif quote == '"':
            value = '"' + value.replace('"', '""') + '"'
        out += [text[cursor:prev.start], value]
        cursor = tok.end + 1
    return "".join(out) + text[cursor:] if out else text
