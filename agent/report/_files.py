"""Section 4's file list, and binding section 6's (and 11's) code blocks to those files."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from dbagent.lint.models import is_rollback_name
from dbagent.report._blocks import Fence, Item, Table, plain
from dbagent.report.models import FileEntry, FileKind

SQL_PATH = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.(?:sql|psql|pgsql))\b")
_TREE = re.compile(r"^(?P<indent>[\s│|]*)(?:[├└`+|]\s*[─-]+\s*|[-*]\s+)?(?P<name>[^\s#]+)(?P<rest>.*)$")
_FILE_COMMENT = re.compile(
    r"^\s*--\s*(?:=+\s*)?(?:file\s*:\s*)?(?P<path>(?:[\w.-]+/)*[\w.-]+\.(?:sql|psql|pgsql))\s*(?:=+.*)?$", re.I)
NONTRANSACTIONAL_WORDS = ("non-transactional", "nontransactional", "no transaction", "no txn",
                          "outside a transaction", "outside any transaction", "not in a transaction",
                          "without a transaction", "autocommit")


def kind_of(path: str) -> FileKind:
    """A file's kind from its path."""
    p = PurePosixPath(path.lower())
    parts = set(p.parts[:-1])
    name = p.name
    if is_rollback_name(path) or parts & {"rollback", "rollbacks", "down"}:
        return "rollback"
    if "test" in name or parts & {"test", "tests", "spec"}:
        return "test"
    if parts & {"runbooks", "runbook", "validation", "preflight", "scripts", "ops"} or \
            any(w in name for w in ("preflight", "runbook", "validation", "explain", "check")):
        return "script"
    if "monitor" in name or "monitoring" in parts:
        return "monitoring"
    for word, kind in (("function", "function"), ("view", "view"), ("polic", "policy")):
        if word in name or f"{word}s" in parts:
            return kind
    return "migration"


def _tree_paths(text: str) -> list[tuple[str, str]]:
    """(path, note) from a directory tree or a plain list of paths in a code block."""
    out = []
    stack: list[tuple[int, str]] = []  # (indent column, directory)
    for raw in text.split("\n"):
        if not raw.strip():
            continue
        m = _TREE.match(raw)
        if not m:
            continue
        name = m.group("name").strip("`")
        col = raw.find(name)
        while stack and stack[-1][0] >= col:
            stack.pop()
        if name.endswith("/"):
            stack.append((col, name.rstrip("/")))
            continue
        if SQL_PATH.fullmatch(name):
            prefix = "/".join(d for _, d in stack)
            path = name if "/" in name and not prefix else (f"{prefix}/{name}" if prefix else name)
            note = m.group("rest").strip().lstrip("#-– ").strip()
            out.append((path, note))
    return out


def listed_files(paragraphs: list[str], items: list[Item], tables: list[Table],
                 fences: list[Fence]) -> list[FileEntry]:
    """Files section 4 names, in the order given, with kind, purpose and apply order."""
    found: dict[str, str] = {}
    for fence in fences:
        for path, note in _tree_paths(fence.content):
            found.setdefault(path, note)
    for item in items:
        for path in SQL_PATH.findall(item.text):
            found.setdefault(path, item.text.replace(path, "").strip(" :-–—"))
    for table in tables:
        for row in table.rows:
            for k, cell in enumerate(row):
                for path in SQL_PATH.findall(cell):
                    found.setdefault(path, " ".join(c for j, c in enumerate(row) if j != k)[:200])
    for para in paragraphs:
        for path in SQL_PATH.findall(plain(para)):
            if "/" in path:
                found.setdefault(path, "")
    entries = [FileEntry(path=p, purpose=n, kind=kind_of(p)) for p, n in found.items()]
    forward = [e for e in entries if e.kind not in ("rollback", "test", "script")]
    for i, e in enumerate(forward, 1):
        e.apply_order = i
    for i, e in enumerate([e for e in entries if e.kind == "rollback"], 1):
        e.apply_order = i
    return entries


def fence_files(fence: Fence) -> list[tuple[str | None, str]]:
    """(file name or None, SQL) parts of one code block.

    The name comes from the fence's info string, the heading or line written just before the
    block, or file comments inside it (`-- file: x.sql`, `-- x.sql`, `-- ===== x.sql =====`),
    which may split one block into several files.
    """
    in_info = SQL_PATH.findall(fence.info)
    named = in_info or SQL_PATH.findall(plain(fence.context))
    parts: list[tuple[str | None, list[str]]] = [(named[0] if named else None, [])]
    for line in fence.content.split("\n"):
        line += "\n"
        m = _FILE_COMMENT.match(line)
        if m and _has_sql(parts[-1][1]):
            parts.append((m.group("path"), []))
        elif m and not (in_info and len(parts) == 1):
            parts[-1] = (m.group("path"), parts[-1][1])  # only comments so far: the comment names it
        parts[-1][1].append(line)  # the naming comment stays: the file is kept as written
    return [(name, "".join(lines).strip("\n") + "\n") for name, lines in parts if _has_sql(lines)]


def _has_sql(lines: list[str]) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in lines)


def resolve(name: str, listed: list[FileEntry]) -> str:
    """A file name given with code, matched to the listed path (exact, suffix or unique basename)."""
    paths = [e.path for e in listed]
    if name in paths:
        return name
    tails = [p for p in paths if p.endswith("/" + name)]
    if len(tails) == 1:
        return tails[0]
    base = PurePosixPath(name).name
    same = [p for p in paths if PurePosixPath(p).name == base]
    return same[0] if len(same) == 1 else name


def says_nontransactional(*texts: str) -> bool:
    low = " ".join(texts).lower()
    return any(w in low for w in NONTRANSACTIONAL_WORDS)
