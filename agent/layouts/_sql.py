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


def verify_sql(sql: str) -> str:
    """A verify script for one forward file: each line fails if what the file made is missing."""
    from dbagent.lint._ast import names, qualname

    lines = ["BEGIN;"]
    for node, *_ in parsed(sql):
        match node:
            case ast.CreateStmt():
                lines.append(f"SELECT {_lit(qualname(node.relation))}::regclass;")
            case ast.IndexStmt() if node.idxname:
                schema = node.relation.schemaname or "public"
                lines.append(f"SELECT {_lit(f'{schema}.{node.idxname}')}::regclass;")
            case ast.CreatePolicyStmt():
                lines.append(f"SELECT 1 / count(*) FROM pg_catalog.pg_policy WHERE polname = {_lit(node.policy_name)} "
                             f"AND polrelid = {_lit(qualname(node.table))}::regclass;")
            case ast.ViewStmt():
                lines.append(f"SELECT {_lit(qualname(node.view))}::regclass;")
            case ast.AlterTableStmt():
                for cmd in node.cmds or ():
                    flag = {"AT_EnableRowSecurity": "relrowsecurity",
                            "AT_ForceRowSecurity": "relforcerowsecurity"}.get(cmd.subtype.name)
                    if flag:
                        lines.append(f"SELECT 1 / {flag}::int FROM pg_catalog.pg_class "
                                     f"WHERE oid = {_lit(qualname(node.relation))}::regclass;")
            case ast.CreateFunctionStmt():
                lines.append(f"SELECT 1 / count(*) FROM pg_catalog.pg_proc WHERE proname = "
                             f"{_lit(names(node.funcname)[-1])};")
    lines.append("ROLLBACK;")
    return "\n".join(lines) + "\n"
