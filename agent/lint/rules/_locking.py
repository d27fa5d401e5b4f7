"""Which existing relation a statement locks in a way that blocks the application."""

from __future__ import annotations

from dbagent.lint._ast import ast, qualname
from dbagent.lint._rule import Context, Stmt
from dbagent.lint._tracking import access_exclusive_table
from dbagent.lint.rules._common import dropped_objects, is_concurrent, qualify


def _referenced(node: ast.Node) -> list[str]:
    """Tables a new foreign key points at: adding it locks them SHARE ROW EXCLUSIVE (no writes)."""
    cons = []
    if isinstance(node, ast.CreateStmt):
        for elt in node.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                cons += [c for c in elt.constraints or () if c.contype.name == "CONSTR_FOREIGN"]
            elif isinstance(elt, ast.Constraint) and elt.contype.name == "CONSTR_FOREIGN":
                cons.append(elt)
    elif isinstance(node, ast.AlterTableStmt):
        cons = [c.def_ for c in node.cmds or () if isinstance(c.def_, ast.Constraint)
                and c.def_.contype.name == "CONSTR_FOREIGN"]
    return [qualname(c.pktable) for c in cons]


def locks_existing_table(s: Stmt, ctx: Context) -> str:
    """The pre-existing relation the statement blocks reads or writes of while it waits and runs, or ''."""
    node = s.node
    candidates: list[str] = []
    match node:
        case ast.IndexStmt() if not node.concurrent:
            candidates.append(qualname(node.relation))            # SHARE: blocks writes
        case ast.AlterTableStmt():
            candidates.append(qualname(node.relation))
        case ast.CreateTrigStmt():
            candidates.append(qualname(node.relation))            # SHARE ROW EXCLUSIVE
        case ast.RefreshMatViewStmt() if not node.concurrent:
            candidates.append(qualname(node.relation))
        case ast.ViewStmt() if node.replace:
            candidates.append(qualname(node.view))
        case ast.DropStmt() if node.removeType.name in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
            candidates += [qualify(p) for p in dropped_objects(node)]
        case ast.DropStmt() if node.removeType.name == "OBJECT_INDEX" and not node.concurrent:
            candidates += [ctx.catalog.indexes[qualify(p)].table for p in dropped_objects(node)
                           if qualify(p) in ctx.catalog.indexes]
        case ast.DropStmt() if node.removeType.name in ("OBJECT_POLICY", "OBJECT_TRIGGER", "OBJECT_RULE"):
            candidates += [qualify(p[:-1]) for p in dropped_objects(node) if len(p) > 1]  # ACCESS EXCLUSIVE
        case ast.ReindexStmt() if not is_concurrent(node):
            if node.relation is not None and node.kind.name == "REINDEX_OBJECT_INDEX":
                index = ctx.catalog.indexes.get(qualname(node.relation))
                candidates += [index.table] if index else []
            elif node.relation is not None:
                candidates.append(qualname(node.relation))
    candidates += _referenced(node)
    for table in candidates:
        if ctx.existed(table):
            return table
    return access_exclusive_table(node, ctx)


def missing_timeout(rule, s: Stmt, ctx: Context, setting: str):
    """Findings for a locking statement with `setting` unset: once per file, at the first one (as squawk)."""
    table = locks_existing_table(s, ctx)
    reported = ctx.state(rule.id).setdefault("files", set())
    if table and not getattr(ctx.file, setting) and not s.nested and s.source.name not in reported:
        reported.add(s.source.name)
        yield rule.hit(s, f"statement locks existing table {table} with no {setting} set")
