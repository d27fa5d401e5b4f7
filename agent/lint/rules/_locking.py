"""Which existing table a statement locks in a way that blocks the application."""

from __future__ import annotations

from dbagent.lint._ast import ast, qualname
from dbagent.lint._rule import Context, Stmt
from dbagent.lint._tracking import access_exclusive_table


def locks_existing_table(s: Stmt, ctx: Context) -> str:
    """The pre-existing table the statement blocks writes to (ACCESS EXCLUSIVE or SHARE), or ''."""
    node = s.node
    if isinstance(node, ast.IndexStmt) and not node.concurrent:
        table = qualname(node.relation)
        return table if ctx.existed(table) else ""
    if isinstance(node, ast.AlterTableStmt):
        table = qualname(node.relation)
        return table if ctx.existed(table) else ""
    return access_exclusive_table(node, ctx)
