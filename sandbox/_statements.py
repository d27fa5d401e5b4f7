"""What the sandbox must know about a statement before running it, read with pglast.

pglast is PostgreSQL's own parser, so the answers are PostgreSQL's: whether a statement
is transaction control, whether PostgreSQL refuses it inside a transaction block, which
extension it creates and which roles it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from pglast import ast, parse_sql
from pglast.visitors import Visitor


@dataclass(frozen=True)
class StatementInfo:
    parsed: bool
    node: str = ""
    transaction_control: bool = False
    no_block: bool = False                    # PostgreSQL refuses it inside BEGIN ... COMMIT
    extension: str | None = None              # CREATE EXTENSION name
    dropped_extensions: tuple[str, ...] = ()  # DROP EXTENSION names
    owner_change_to: str | None = None        # ALTER ... OWNER TO role, and nothing else
    roles_named: frozenset[str] = field(default_factory=frozenset)
    roles_created: frozenset[str] = field(default_factory=frozenset)


class _Roles(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_RoleSpec(self, ancestors, node):  # noqa: N802 (pglast's naming)
        if node.rolename:
            self.names.add(node.rolename)


def _no_block(stmt: ast.Node) -> bool:
    match stmt:
        case ast.IndexStmt() | ast.DropStmt():
            return bool(stmt.concurrent)
        case ast.ReindexStmt():
            return any(p.defname == "concurrently" for p in (stmt.params or ())) or \
                stmt.kind.name in ("REINDEX_OBJECT_SCHEMA", "REINDEX_OBJECT_SYSTEM", "REINDEX_OBJECT_DATABASE")
        case ast.AlterTableStmt():
            return any(isinstance(c.def_, ast.PartitionCmd) and c.def_.concurrent for c in stmt.cmds or ())
        case ast.VacuumStmt():
            return bool(stmt.is_vacuumcmd)
        case ast.CreatedbStmt() | ast.DropdbStmt() | ast.AlterSystemStmt() | ast.CreateTableSpaceStmt() \
                | ast.DropTableSpaceStmt() | ast.CreateSubscriptionStmt() | ast.DropSubscriptionStmt():
            return True
        case ast.ClusterStmt():
            return stmt.relation is None
    return False


def _owner_change(stmt: ast.Node) -> str | None:
    if isinstance(stmt, ast.AlterOwnerStmt):
        return stmt.newowner.rolename
    if isinstance(stmt, ast.AlterTableStmt) and stmt.cmds and \
            all(c.subtype.name == "AT_ChangeOwner" for c in stmt.cmds):
        return stmt.cmds[0].newowner.rolename
    return None


@lru_cache(maxsize=4096)
def classify(sql: str) -> StatementInfo:
    """Facts about one statement; `parsed=False` when PostgreSQL's grammar rejects it."""
    try:
        stmts = parse_sql(sql)
    except Exception:  # ParseError for bad SQL; odd input can raise others from the C parser
        return StatementInfo(parsed=False)
    if len(stmts) != 1:
        return StatementInfo(parsed=True, node="multiple")
    stmt = stmts[0].stmt
    roles = _Roles()
    roles(stmt)
    created = {stmt.role} if isinstance(stmt, ast.CreateRoleStmt) else set()
    return StatementInfo(
        parsed=True,
        node=type(stmt).__name__,
        transaction_control=isinstance(stmt, ast.TransactionStmt),
        no_block=_no_block(stmt),
        extension=stmt.extname if isinstance(stmt, ast.CreateExtensionStmt) else None,
        dropped_extensions=tuple(o.sval for o in stmt.objects or () if isinstance(o, ast.String))
        if isinstance(stmt, ast.DropStmt) and stmt.removeType.name == "OBJECT_EXTENSION" else (),
        owner_change_to=_owner_change(stmt),
        roles_named=frozenset(roles.names - {"public"}),
        roles_created=frozenset(created),
    )


def cannot_run_in_block(info: StatementInfo) -> bool:
    """True when the statement must run outside a transaction (or could not be parsed)."""
    return info.no_block or not info.parsed or info.node == "multiple"
