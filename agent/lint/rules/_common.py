"""Small questions several rules ask about a statement."""

from __future__ import annotations

from collections.abc import Iterator

from dbagent.lint._ast import ast, names, qualname, walk
from dbagent.lint._catalog import reads_setting
from dbagent.lint._rule import Context, Stmt


def is_forward(s: Stmt) -> bool:
    return s.role in ("up", "up-nontransactional")


def existing_table(s: Stmt, ctx: Context) -> str:
    """The table an ALTER TABLE changes, when it existed before the migration; else ''."""
    table = qualname(getattr(s.node, "relation", None)) if isinstance(s.node, ast.AlterTableStmt) else ""
    return table if table and ctx.existed(table) else ""


def alter_cmds(node: ast.Node, *subtypes: str) -> Iterator[ast.AlterTableCmd]:
    """ALTER TABLE subcommands of the given kinds (all when none given)."""
    if isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if not subtypes or cmd.subtype.name in subtypes:
                yield cmd


def new_columns(node: ast.Node) -> Iterator[tuple[str, ast.ColumnDef, bool]]:
    """(table, column definition, added to an existing table?) for CREATE TABLE and ADD COLUMN."""
    if isinstance(node, ast.CreateStmt):
        for elt in node.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                yield qualname(node.relation), elt, False
    for cmd in alter_cmds(node, "AT_AddColumn"):
        if isinstance(cmd.def_, ast.ColumnDef):
            yield qualname(node.relation), cmd.def_, True
    for cmd in alter_cmds(node, "AT_AlterColumnType"):
        if isinstance(cmd.def_, ast.ColumnDef) and cmd.def_.typeName is not None:
            yield qualname(node.relation), ast.ColumnDef(colname=cmd.name, typeName=cmd.def_.typeName,
                                                         location=cmd.def_.location), True


def constraint_kinds(col: ast.ColumnDef) -> set[str]:
    return {c.contype.name for c in col.constraints or ()}


def column_default(col: ast.ColumnDef) -> ast.Node | None:
    for c in col.constraints or ():
        if c.contype.name == "CONSTR_DEFAULT":
            return c.raw_expr
    return None


def is_concurrent(node: ast.Node) -> bool:
    match node:
        case ast.IndexStmt() | ast.DropStmt():
            return bool(node.concurrent)
        case ast.ReindexStmt():
            return any(p.defname == "concurrently" for p in node.params or ())
        case ast.AlterTableStmt():
            return any(isinstance(c.def_, ast.PartitionCmd) and c.def_.concurrent for c in node.cmds or ())
    return False


def setting_calls(expr, ctx: Context) -> Iterator[ast.FuncCall]:
    """Calls that read the tenant setting: current_setting(setting, ...) or a known helper."""
    for n in walk(expr):
        if isinstance(n, ast.FuncCall):
            fname = names(n.funcname)[-1].lower() if n.funcname else ""
            if fname in ctx.catalog.setting_functions or (
                    fname == "current_setting" and reads_setting(n, ctx.config.tenant_setting)):
                yield n


def column_name(node) -> str | None:
    if isinstance(node, ast.ColumnRef):
        parts = names(node.fields)
        return parts[-1] if parts else None
    if isinstance(node, ast.TypeCast):
        return column_name(node.arg)
    return None


def has_tenant_predicate(expr, table: str, ctx: Context) -> bool:
    """Does the expression tie rows to the current tenant?

    On a table with the tenant key: the key compared (=, IN, = ANY) with the setting.
    On a child table reaching a tenant table through a foreign key: any use of the setting
    (typically EXISTS over the parent).
    """
    if expr is None:
        return False
    t = ctx.catalog.table(table)
    if t is None or ctx.config.tenant_key not in t.columns:
        return any(True for _ in setting_calls(expr, ctx))
    for n in walk(expr):
        if isinstance(n, ast.A_Expr) and (names(n.name) == ["="] or n.kind.name in ("AEXPR_IN", "AEXPR_OP_ANY")):
            sides = (n.lexpr, n.rexpr)
        elif isinstance(n, ast.SubLink) and n.subLinkType.name == "ANY_SUBLINK":  # key IN (SELECT ...)
            sides = (n.testexpr, n.subselect)
        else:
            continue
        if any(column_name(a) == ctx.config.tenant_key for a in sides) and \
                any(any(True for _ in setting_calls(b, ctx)) for b in sides):
            return True
    return False


def tied_through_relation(expr, ctx: Context, need_setting: bool) -> bool:
    """Access derived from another table (a B2B agreement, a support window): inside an EXISTS,
    the row's tenant key equals a column of the related table, and (when `need_setting`)
    the tenant setting is compared there too. Lint cannot judge the relationship's meaning;
    the sandbox's isolation checks prove it."""
    key = ctx.config.tenant_key
    for link in walk(expr):
        if not (isinstance(link, ast.SubLink) and link.subLinkType.name == "EXISTS_SUBLINK"):
            continue
        tied = any(isinstance(n, ast.A_Expr) and names(n.name) == ["="]
                   and key in (column_name(n.lexpr), column_name(n.rexpr))
                   and all(isinstance(x, ast.ColumnRef) for x in (n.lexpr, n.rexpr))
                   for n in walk(link.subselect))
        if tied and (not need_setting or any(True for _ in setting_calls(link.subselect, ctx))):
            return True
    return False


def is_true_literal(expr) -> bool:
    if isinstance(expr, ast.TypeCast):
        return is_true_literal(expr.arg) or (isinstance(expr.arg, ast.A_Const)
                                             and str(getattr(expr.arg.val, "sval", "")).lower() in ("true", "t", "on"))
    return isinstance(expr, ast.A_Const) and getattr(expr.val, "boolval", None) is True


def dropped_objects(node: ast.DropStmt) -> list[list[str]]:
    out = []
    for obj in node.objects or ():
        if isinstance(obj, (list, tuple)):
            out.append(names(obj))
        elif isinstance(obj, ast.ObjectWithArgs):
            out.append(names(obj.objname))
        elif isinstance(obj, ast.TypeName):
            out.append(names(obj.names))
        elif isinstance(obj, ast.String):
            out.append([obj.sval])
    return out


def qualify(parts: list[str]) -> str:
    return ".".join(parts[-2:]) if len(parts) > 1 else f"public.{parts[0]}"
