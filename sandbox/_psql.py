"""A psql script interpreter: splits SQL the way psql does and runs the common meta-commands.

Model-written migrations are psql scripts (``\\set``, ``\\if``, ``\\gset``, ``\\i``, ``:'var'``).
Running them through psql itself would lose statement-level evidence and would let a
script reach the host (``\\!``, ``\\copy ... program``, ``\\o |cmd``). So the lexing and the
meta-commands are interpreted here, and every SQL statement goes to a callback that runs it.
Anything that could touch the host is refused; anything unknown is reported with its line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

_IDENT_START = re.compile(r"[A-Za-z_\x80-\uffff]")
_IDENT_CHARS = re.compile(r"[A-Za-z0-9_$\x80-\uffff]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")
_VARNAME = re.compile(r"[A-Za-z0-9_]+")
_META_NAME = re.compile(r"\\([A-Za-z_!?+]+|!)")
_ARG_VARIABLE = re.compile(r":(['\"]?)([A-Za-z0-9_]+)\1")

# Meta-commands that reach the host (programs, files, environment, terminal): never executed.
DANGEROUS = {
    "!": "runs a shell command on the host",
    "copy": "reads or writes host files or runs a program",
    "o": "writes output to a host file or pipes it to a program",
    "out": "writes output to a host file or pipes it to a program",
    "w": "writes the query buffer to a host file",
    "write": "writes the query buffer to a host file",
    "s": "writes history to a host file",
    "cd": "changes the host working directory",
    "setenv": "changes the host environment of child programs",
    "getenv": "reads the host environment (secrets)",
    "lo_import": "reads a host file into a large object",
    "lo_export": "writes a large object to a host file",
    "e": "opens an editor on the host",
    "edit": "opens an editor on the host",
    "ef": "opens an editor on the host",
    "ev": "opens an editor on the host",
    "password": "changes a role password interactively",
    "prompt": "reads from the terminal",
}
# Output-only or session-cosmetic commands: no effect on the database, skipped with a note.
IGNORED = {
    "timing", "pset", "x", "t", "a", "H", "f", "C", "T", "encoding", "conninfo", "errverbose",
    "restrict", "unrestrict", "connect", "c", "d", "dt", "di", "dn", "df", "dv", "dm", "ds", "du",
    "dp", "z", "l", "sf", "sv", "da", "db", "dc", "dC", "dd", "dD", "des", "det", "deu", "dew",
    "dF", "dg", "dl", "dL", "dO", "dP", "drds", "dRp", "dRs", "dT", "dx", "dy", "lo_list", "q",
}
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass
class Location:
    file: str
    line: int
    column: int


@dataclass
class SqlUnit:
    """One statement as sent to the server, with what is needed to map positions back."""

    sql: str
    file: str
    offset: int                        # start of the statement in the original file text
    segments: list[tuple[int, int, int, bool]] = field(default_factory=list)
    gset: str | None = None            # prefix when ended by \gset (empty string: no prefix)
    gexec: bool = False

    def origin(self, position: int | None, lines: "LineIndex") -> Location:
        """File location of a 1-based character `position` in `sql` (statement start if None)."""
        offset = self.offset
        if position:
            p = position - 1
            for sent_start, orig_start, length, verbatim in self.segments:
                if sent_start <= p < sent_start + max(length, 1):
                    offset = orig_start + (p - sent_start if verbatim else 0)
                    break
        line, column = lines.locate(offset)
        return Location(self.file, line, column)


class LineIndex:
    """Offset → (line, column), both 1-based."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def locate(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


class ScriptError(Exception):
    """The script cannot go on: a refused, unsupported or failed meta-command."""

    def __init__(self, message: str, location: Location, kind: str = "unsupported") -> None:
        super().__init__(message)
        self.location, self.kind = location, kind


class StopScript(Exception):
    """Raised by the SQL callback to end the script (the statement failed)."""


@dataclass
class MetaEvent:
    """A meta-command that ran or was skipped; refused ones raise ScriptError instead."""

    command: str
    location: Location
    status: str            # "ok" | "ignored"
    message: str = ""


SqlRunner = Callable[[SqlUnit, LineIndex], "tuple[list[str], list[tuple]] | None"]


class PsqlInterpreter:
    """Runs psql scripts: SQL goes to `run_sql`; meta-commands are interpreted or refused."""

    def __init__(self, run_sql: SqlRunner, variables: dict[str, str] | None = None,
                 include_root: Path | None = None, on_meta: Callable[[MetaEvent], None] | None = None) -> None:
        self.run_sql = run_sql
        self.vars: dict[str, str] = dict(variables or {})
        self.include_root = include_root.resolve() if include_root else None
        self.on_meta = on_meta or (lambda event: None)
        self.output: list[str] = []
        self._depth = 0
        self._quit = False

    # ------------------------------------------------------------------ driving
    def run(self, text: str, file: str, path: Path | None = None) -> None:
        """Interpret one script; `path` (when the text came from disk) anchors \\ir includes."""
        if self._depth > 16:
            raise ScriptError("includes nested more than 16 deep", Location(file, 1, 1))
        self._depth += 1
        try:
            _Script(self, text, file, path).run()
        finally:
            self._depth -= 1

    def resolve_include(self, target: str, current: Path | None, relative: bool, where: Location) -> Path:
        """\\i resolves against the working directory and \\ir against the current file, as in
        psql; either way the file must lie below the top-level script's directory, so a script
        cannot read the user's other files (secrets) into the sandbox or its error messages."""
        base = current.parent if relative and current else Path.cwd()
        candidate = (base / target).resolve()
        root = self.include_root or (current.parent.resolve() if current else None)
        if root is None or not candidate.is_relative_to(root):
            raise ScriptError(f"include {target!r} is outside the script's directory: refused",
                              where, "refused")
        return candidate


class _Script:
    """Lexer and meta-command dispatcher for one file."""

    def __init__(self, interp: PsqlInterpreter, text: str, file: str, path: Path | None) -> None:
        self.i, self.text, self.file, self.path = interp, text, file, path
        self.lines = LineIndex(text)
        self.pos = 0
        self.cond: list[list[bool]] = []    # per \if: [branch active, some branch taken]
        self._reset()

    def _reset(self) -> None:
        self.buf: list[str] = []
        self.segments: list[tuple[int, int, int, bool]] = []
        self.sent = 0                       # length of the statement text emitted so far
        self.start: int | None = None
        self.paren = 0

    @property
    def active(self) -> bool:
        return all(level[0] for level in self.cond)

    def loc(self, offset: int) -> Location:
        return Location(self.file, *self.lines.locate(offset))

    def _emit(self, orig: int, piece: str, verbatim: bool = True) -> None:
        if self.start is None:
            self.start = orig
        self.buf.append(piece)
        self.segments.append((self.sent, orig, len(piece), verbatim))
        self.sent += len(piece)

    # ------------------------------------------------------------------ lexing
    def run(self) -> None:
        t, n = self.text, len(self.text)
        while self.pos < n and not self.i._quit:
            c = t[self.pos]
            nxt = t[self.pos + 1] if self.pos + 1 < n else ""
            if c in " \t\r\n\f" and self.start is None:
                self.pos += 1
            elif c == "-" and nxt == "-":
                end = t.find("\n", self.pos)
                end = n if end < 0 else end
                if self.start is not None:
                    self._emit(self.pos, t[self.pos:end])
                self.pos = end
            elif c == "/" and nxt == "*":
                end = self._block_comment_end(self.pos)
                if self.start is not None:
                    self._emit(self.pos, t[self.pos:end])
                self.pos = end
            elif c == "'":
                self._emit(self.pos, t[self.pos:self._quote_end(self.pos, "'", self._escape_string())])
                self.pos += len(self.buf[-1])
            elif c == '"':
                self._emit(self.pos, t[self.pos:self._quote_end(self.pos, '"', False)])
                self.pos += len(self.buf[-1])
            elif c == "$" and self._dollar_quote():
                pass
            elif c == ":" and self._variable():
                pass
            elif c == "\\":
                self._meta()
            elif c == ";" and self.paren == 0:
                self._emit(self.pos, ";")
                self.pos += 1
                self._flush(self.start)
            else:
                if c == "(":
                    self.paren += 1
                elif c == ")":
                    self.paren = max(0, self.paren - 1)
                m = _IDENT_CHARS.match(t, self.pos + 1) if _IDENT_START.match(c) else None
                end = m.end() if m else self.pos + 1
                self._emit(self.pos, t[self.pos:end])
                self.pos = end
        if self.start is not None and not self.i._quit and "".join(self.buf).strip():
            self._flush(self.start)  # psql sends an unterminated last statement at end of file
        if self.cond and not self.i._quit:
            raise ScriptError("\\if without matching \\endif at end of file", self.loc(len(t)))

    def _escape_string(self) -> bool:
        return self.buf[-1:] in (["E"], ["e"])  # E'...' : identifiers are emitted whole

    def _quote_end(self, start: int, q: str, backslash: bool) -> int:
        t, p = self.text, start + 1
        while p < len(t):
            ch = t[p]
            if backslash and ch == "\\":
                p += 2
                continue
            if ch == q:
                if p + 1 < len(t) and t[p + 1] == q:
                    p += 2
                    continue
                return p + 1
            p += 1
        return len(t)

    def _block_comment_end(self, start: int) -> int:
        t, p, depth = self.text, start + 2, 1
        while p < len(t) and depth:
            if t.startswith("/*", p):
                depth, p = depth + 1, p + 2
            elif t.startswith("*/", p):
                depth, p = depth - 1, p + 2
            else:
                p += 1
        return p

    def _dollar_quote(self) -> bool:
        prev = self.buf[-1][-1:] if self.buf else ""
        if prev and (prev.isalnum() or prev == "_"):
            return False
        m = _DOLLAR_TAG.match(self.text, self.pos)
        if not m:
            return False
        close = self.text.find(m.group(0), m.end())
        end = len(self.text) if close < 0 else close + len(m.group(0))
        self._emit(self.pos, self.text[self.pos:end])
        self.pos = end
        return True

    def _variable(self) -> bool:
        t, p = self.text, self.pos
        if t.startswith("::", p):
            self._emit(p, "::")
            self.pos += 2
            return True
        quote = t[p + 1] if p + 1 < len(t) and t[p + 1] in "'\"" else ""
        m = _VARNAME.match(t, p + 1 + len(quote))
        if not m or (quote and not t.startswith(quote, m.end())):
            return False
        name = m.group(0)
        end = m.end() + len(quote)
        if name not in self.i.vars or not self.active:
            return False
        value = self.i.vars[name]
        if quote == "'":
            value = "'" + value.replace("'", "''") + "'"
        elif quote == '"':
            value = '"' + value.replace('"', '""') + '"'
        self._emit(p, value, verbatim=False)
        self.pos = end
        return True

    # ------------------------------------------------------------------ meta-commands
    def _meta(self) -> None:
        t, start = self.text, self.pos
        m = _META_NAME.match(t, start)
        name = m.group(1) if m else t[start + 1:start + 2]
        end_line = t.find("\n", start)
        end_line = len(t) if end_line < 0 else end_line
        sep = t.find("\\\\", start + 1, end_line)
        end = sep if sep >= 0 else end_line
        rest = t[start + 1 + len(name):end]
        self.pos = end + (2 if sep >= 0 else 0)
        where = self.loc(start)
        if name in ("if", "elif", "else", "endif"):
            return self._conditional(name, rest, where)
        if not self.active:
            return
        if name.startswith("!"):
            name = "!"
        if name in DANGEROUS:
            raise ScriptError(f"\\{name} refused: {DANGEROUS[name]}", where, "refused")
        args = self._args(rest, where)
        if name in ("g", "gx", "gset", "gexec"):
            if name in ("g", "gx") and args:
                raise ScriptError(f"\\{name} with an argument sends output to a file or program: refused",
                                  where, "refused")
            return self._flush(self.start if self.start is not None else start,
                               gset=(args[0] if args else "") if name == "gset" else None,
                               gexec=name == "gexec")
        handler = getattr(self, f"_cmd_{name}", None)
        if handler is not None:
            return handler(args, where)
        if name in IGNORED:
            self.i.on_meta(MetaEvent(f"\\{name}", where, "ignored",
                                           "no effect on the database in the sandbox"))
            if name == "q":
                self.i._quit = True
            return
        raise ScriptError(f"unsupported psql meta-command \\{name}", where)

    def _args(self, rest: str, where: Location) -> list[str]:
        out, p, n = [], 0, len(rest)
        while p < n:
            if rest[p].isspace():
                p += 1
                continue
            if rest[p] == "`":
                raise ScriptError("backquoted argument runs a shell command on the host: refused",
                                  where, "refused")
            piece, p = self._arg(rest, p)
            out.append(piece)
        return out

    def _arg(self, rest: str, p: int) -> tuple[str, int]:
        value, n = [], len(rest)
        while p < n and not rest[p].isspace():
            ch = rest[p]
            if ch == "'":
                q = p + 1
                while q < n:
                    if rest[q] == "'" and rest[q + 1:q + 2] == "'":
                        value.append("'"); q += 2
                    elif rest[q] == "'":
                        break
                    elif rest[q] == "\\" and q + 1 < n:
                        value.append({"n": "\n", "t": "\t"}.get(rest[q + 1], rest[q + 1])); q += 2
                    else:
                        value.append(rest[q]); q += 1
                p = q + 1
            elif ch == ":" and (m := _ARG_VARIABLE.match(rest, p)) \
                    and m.group(2) in self.i.vars:
                v = self.i.vars[m.group(2)]
                value.append({"'": "'" + v.replace("'", "''") + "'",
                              '"': '"' + v.replace('"', '""') + '"'}.get(m.group(1), v))
                p = m.end()
            elif ch == "`":
                raise ScriptError("backquoted argument runs a shell command on the host: refused",
                                  self.loc(self.pos), "refused")
            else:
                value.append(ch); p += 1
        return "".join(value), p

    def _conditional(self, name: str, rest: str, where: Location) -> None:
        outer_active = all(level[0] for level in self.cond[:-1]) if name != "if" else self.active
        if name == "if":
            value = self._bool(self._args(rest, where), where) if self.active else False
            self.cond.append([value, value])
            return
        if not self.cond:
            raise ScriptError(f"\\{name} without \\if", where)
        level = self.cond[-1]
        if name == "endif":
            self.cond.pop()
        elif name == "else":
            level[0], level[1] = (not level[1]), True
        else:
            value = (not level[1]) and outer_active and self._bool(self._args(rest, where), where)
            level[0], level[1] = value, level[1] or value
        if name != "endif":
            self._reset()

    def _bool(self, args: list[str], where: Location) -> bool:
        word = " ".join(args).strip().lower()
        if word and any(v.startswith(word) for v in _TRUE) and word not in ("o",):
            return True
        if word and any(v.startswith(word) for v in _FALSE) and word not in ("o",):
            return False
        raise ScriptError(f"\\if expression {word!r} is not a boolean", where)

    def _cmd_set(self, args: list[str], where: Location) -> None:
        if args:
            self.i.vars[args[0]] = "".join(args[1:])
        self.i.on_meta(MetaEvent("\\set", where, "ok"))

    def _cmd_unset(self, args: list[str], where: Location) -> None:
        for name in args:
            self.i.vars.pop(name, None)
        self.i.on_meta(MetaEvent("\\unset", where, "ok"))

    def _cmd_echo(self, args: list[str], where: Location) -> None:
        text = " ".join(args[1:] if args[:1] == ["-n"] else args)
        self.i.output.append(text)
        self.i.on_meta(MetaEvent("\\echo", where, "ok", text))

    _cmd_qecho = _cmd_warn = _cmd_echo

    def _cmd_i(self, args: list[str], where: Location, relative: bool = False) -> None:
        if not args:
            raise ScriptError("\\i needs a file name", where)
        target = self.i.resolve_include(args[0], self.path, relative, where)
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScriptError(f"cannot include {args[0]}: {exc.__class__.__name__}", where) from None
        self.i.on_meta(MetaEvent("\\i", where, "ok", args[0]))
        self.i.run(text, str(target), target)

    _cmd_include = _cmd_i

    def _cmd_ir(self, args: list[str], where: Location) -> None:
        self._cmd_i(args, where, relative=True)

    _cmd_include_relative = _cmd_ir

    # ------------------------------------------------------------------ execution
    def _flush(self, start: int | None, gset: str | None = None, gexec: bool = False) -> None:
        sql, segments = "".join(self.buf), self.segments
        self._reset()
        if not self.active or not sql.strip():
            return
        unit = SqlUnit(sql, self.file, start if start is not None else 0, segments, gset, gexec)
        result = self.i.run_sql(unit, self.lines)
        if result is None:
            return
        columns, rows = result
        if gset is not None:
            if len(rows) != 1:
                raise ScriptError(f"\\gset expects one row, the query returned {len(rows)}",
                                  unit.origin(None, self.lines), "failed")
            for col, val in zip(columns, rows[0]):
                if val is None:
                    self.i.vars.pop(gset + col, None)
                else:
                    self.i.vars[gset + col] = _psql_text(val)
        if gexec:
            for row in rows:
                for val in row:
                    if val is not None:
                        sub = SqlUnit(str(val), self.file, unit.offset, [], None, False)
                        self.i.run_sql(sub, self.lines)


def _psql_text(value: object) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)
