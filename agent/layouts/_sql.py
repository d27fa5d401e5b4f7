"""SQL-level helpers the layout writers share: statements of a file, a file without BEGIN/COMMIT."""

from __future__ import annotations

from dataclasses import dataclass

from dbagent.lint._ast import ast
from dbagent.lint._engine import parsed


@dataclass
class Step:
    """One forward file and its rollback, in apply order."""

    name: str          # a slug for the step, e.g. tenant_isolation
    up: str
    down: str
    transactional: bool


def statements(sql: str) -> list[str]:
    """The SQL statements of a file, in order (psql meta-commands dropped)."""
    return [piece.text.rstrip(";").strip() for node, piece, *_ in parsed(sql) if node is not None]


def without_transaction(sql: str) -> str:
    """The file without its own BEGIN/COMMIT, for tools that wrap each migration in a transaction."""
    out, cursor = [], 0
    for node, piece, *_ in parsed(sql):
        if isinstance(node, ast.TransactionStmt) and node.kind.name in (
                "TRANS_STMT_BEGIN", "TRANS_STMT_START", "TRANS_STMT_COMMIT"):
            out.append(sql[cursor:piece.offset])
            end = piece.offset + len(piece.text)
            cursor = end + 1 if sql[end:end + 1] == "\n" else end
    out.append(sql[cursor:])
    return "".join(out).strip("\n") + "\n"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def verify_sql(changes) -> str:
    """A verify script from the catalog changes the dry-run observed: each fails if its object is missing."""
    lines = ["BEGIN;"]
    for c in changes:
        if c.change == "removed":
            continue
        if c.kind in ("table", "view", "index", "sequence") and c.change == "added":
            lines.append(f"SELECT {_lit(c.name)}::regclass;")
        elif c.kind == "function" and c.change == "added":
            lines.append(f"SELECT {_lit(c.name)}::regprocedure;")
        elif c.kind == "policy" and c.change == "added":
            lines.append(f"SELECT 1 / count(*) FROM pg_catalog.pg_policy p WHERE p.polname = "
                         f"{_lit(c.name.rsplit('.', 1)[1].strip(chr(34)))} AND p.polrelid = {_lit(c.name.rsplit('.', 1)[0])}::regclass;")
        elif c.kind == "table" and c.change == "changed" and c.fields.get("rls_enabled", {}).get("after"):
            lines.append(f"SELECT 1 / relrowsecurity::int FROM pg_catalog.pg_class WHERE oid = {_lit(c.name)}::regclass;")
    lines.append("ROLLBACK;")
    return "\n".join(lines) + "\n"
