"""Run state the rules share, updated after each statement: transactions, timeouts, objects."""

from __future__ import annotations

from dbagent.lint._ast import ast, names, qualname
from dbagent.lint._rule import Context, Stmt, Transaction

# Statement kinds that create something a rollback must remove, and the DROP kind that does.
_FORWARD = {
    "CreateStmt": "table", "IndexStmt": "index", "CreatePolicyStmt": "policy", "ViewStmt": "view",
    "CreateFunctionStmt": "function", "CreateTrigStmt": "trigger", "CreateSeqStmt": "sequence",
    "CreateEnumStmt": "type", "CompositeTypeStmt": "type", "CreateDomainStmt": "type",
    "CreateSchemaStmt": "schema", "CreateExtensionStmt": "extension",
}
_DROP_KIND = {
    "OBJECT_TABLE": "table", "OBJECT_INDEX": "index", "OBJECT_POLICY": "policy", "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "view", "OBJECT_FUNCTION": "function", "OBJECT_PROCEDURE": "function",
    "OBJECT_TRIGGER": "trigger", "OBJECT_SEQUENCE": "sequence", "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "type", "OBJECT_SCHEMA": "schema", "OBJECT_EXTENSION": "extension",
}


def forward_name(node: ast.Node) -> tuple[str, str] | None:
    """(kind, name) of the object a CREATE statement makes, for matching with its rollback."""
    kind = _FORWARD.get(type(node).__name__)
    match node:
        case ast.CreateStmt():
            return kind, node.relation.relname
        case ast.IndexStmt():
            return (kind, node.idxname) if node.idxname else None
        case ast.CreatePolicyStmt():
            return kind, node.policy_name
        case ast.ViewStmt():
            return kind, node.view.relname
        case ast.CreateTableAsStmt():
            return ("view" if node.objtype.name == "OBJECT_MATVIEW" else "table"), node.into.rel.relname
        case ast.CreateFunctionStmt():
            return kind, names(node.funcname)[-1]
        case ast.CreateTrigStmt():
            return kind, node.trigname
        case ast.CreateSeqStmt():
            return kind, node.sequence.relname
        case ast.CreateEnumStmt():
            return kind, names(node.typeName)[-1]
        case ast.CreateDomainStmt():
            return kind, names(node.domainname)[-1]
        case ast.CompositeTypeStmt():
            return kind, node.typevar.relname
        case ast.CreateSchemaStmt():
            return kind, node.schemaname
        case ast.CreateExtensionStmt():
            return kind, node.extname
    return None


def dropped_names(node: ast.Node) -> list[tuple[str, str]]:
    """(kind, name) of what a DROP (or ALTER TABLE ... DROP COLUMN) removes."""
    if isinstance(node, ast.DropStmt):
        kind = _DROP_KIND.get(node.removeType.name)
        out = []
        for obj in node.objects or ():
            if isinstance(obj, ast.ObjectWithArgs):
                parts = names(obj.objname)
            elif isinstance(obj, ast.TypeName):
                parts = names(obj.names)
            elif isinstance(obj, (list, tuple)):
                parts = names(obj)
            else:
                parts = [obj.sval] if isinstance(obj, ast.String) else []
            if kind and parts:
                out.append((kind, parts[-1]))
        return out
    if isinstance(node, ast.AlterTableStmt):
        return [("column", f"{node.relation.relname}.{c.name}") for c in node.cmds or ()
                if c.subtype.name == "AT_DropColumn"]
    return []


def track(s: Stmt, ctx: Context) -> None:
    """Update the context after `s` ran: transaction, timeouts, created and touched objects."""
    node, f = s.node, ctx.file
    if isinstance(node, ast.TransactionStmt):
        kind = node.kind.name
        if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            f.tx = Transaction(explicit=True, begun_at=s)
        elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
            f.tx = Transaction()
        return
    if isinstance(node, ast.VariableSetStmt) and node.name in ("lock_timeout", "statement_timeout"):
        setattr(f, node.name, node.kind.name != "VAR_RESET")
    forward = s.role in ("up", "up-nontransactional")
    if forward and isinstance(node, ast.CreateStmt | ast.CreateTableAsStmt):
        rel = node.relation if isinstance(node, ast.CreateStmt) else node.into.rel
        ctx.created.setdefault(qualname(rel), s)
    table = _table_of(node)
    if table:
        if forward:
            ctx.touched.setdefault(table, s)
        f.tx.ddl_tables.add(table)
    if isinstance(node, ast.AlterTableStmt):
        _track_constraints(node, table, ctx)
    if access_exclusive_table(node, ctx) and f.tx.access_exclusive is None and s.in_transaction:
        f.tx.access_exclusive = s
    if forward:
        made = forward_name(node)
        if made:
            ctx.forward.append((*made, s))
        if isinstance(node, ast.AlterTableStmt):
            for cmd in node.cmds or ():
                if cmd.subtype.name == "AT_AddColumn" and isinstance(cmd.def_, ast.ColumnDef):
                    ctx.forward.append(("column", f"{node.relation.relname}.{cmd.def_.colname}", s))
    elif s.role == "down":
        ctx.rollback.update(dropped_names(node))
    if not s.in_transaction:
        f.tx = Transaction()  # autocommit: each statement is its own transaction


def _track_constraints(node: ast.AlterTableStmt, table: str, ctx: Context) -> None:
    """Constraints added in this transaction, and columns a validated CHECK proves NOT NULL."""
    pending = ctx.state("_pending_not_null_checks")
    for cmd in node.cmds or ():
        con = cmd.def_
        if cmd.subtype.name == "AT_AddConstraint" and isinstance(con, ast.Constraint):
            if con.conname:
                ctx.file.tx.constraints_added.add((table, con.conname))
            if con.contype.name == "CONSTR_CHECK":
                checked = {(table, c) for c in _not_null_checked(con)}
                if con.skip_validation and con.conname:
                    pending[(table, con.conname)] = checked
                elif not con.skip_validation:
                    ctx.validated_not_null.update(checked)
        elif cmd.subtype.name == "AT_ValidateConstraint":
            ctx.validated_not_null.update(pending.get((table, cmd.name), ()))


def _not_null_checked(con: ast.Constraint) -> tuple[str, ...]:
    expr = con.raw_expr
    if isinstance(expr, ast.NullTest) and expr.nulltesttype.name == "IS_NOT_NULL" \
            and isinstance(expr.arg, ast.ColumnRef):
        return (names(expr.arg.fields)[-1],)
    return ()


def _table_of(node: ast.Node) -> str:
    match node:
        case ast.AlterTableStmt() | ast.IndexStmt() | ast.CreateTrigStmt():
            return qualname(node.relation)
        case ast.CreatePolicyStmt() | ast.AlterPolicyStmt():
            return qualname(node.table)
        case ast.CreateStmt():
            return qualname(node.relation)
    return ""


# Lock levels: which statements take ACCESS EXCLUSIVE on a table that already existed.
_SHARE_UPDATE_SUBCOMMANDS = {"AT_ValidateConstraint", "AT_SetStatistics", "AT_ClusterOn",
                             "AT_SetRelOptions", "AT_ResetRelOptions", "AT_DetachPartitionFinalize"}
_SHARE_ROW_SUBCOMMANDS = {"AT_EnableTrig", "AT_DisableTrig", "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig",
                          "AT_EnableTrigAll", "AT_DisableTrigAll", "AT_EnableTrigUser", "AT_DisableTrigUser"}


def access_exclusive_table(node: ast.Node, ctx: Context) -> str:
    """The pre-existing table this statement locks ACCESS EXCLUSIVE, or ''."""
    table = ""
    match node:
        case ast.AlterTableStmt() if node.objtype.name in ("OBJECT_TABLE", "OBJECT_MATVIEW"):
            subs = {c.subtype.name for c in node.cmds or ()}
            weaker = _SHARE_UPDATE_SUBCOMMANDS | _SHARE_ROW_SUBCOMMANDS
            is_fk_only = all(c.subtype.name == "AT_AddConstraint" and isinstance(c.def_, ast.Constraint)
                             and c.def_.contype.name == "CONSTR_FOREIGN" for c in node.cmds or ())
            if not subs <= weaker and not is_fk_only:
                table = qualname(node.relation)
        case ast.DropStmt() if node.removeType.name == "OBJECT_TABLE":
            table = ".".join(names(node.objects[0])) if node.objects else ""
            table = table if "." in table else f"public.{table}"
        case ast.TruncateStmt():
            table = qualname(node.relations[0]) if node.relations else ""
        case ast.CreatePolicyStmt() | ast.AlterPolicyStmt():
            table = qualname(node.table)
        case ast.RenameStmt() if node.relation is not None:
            table = qualname(node.relation)
        case ast.VacuumStmt() if any(o.defname == "full" for o in node.options or ()):
            rels = [r.relation for r in node.rels or ()]
            table = qualname(rels[0]) if rels else ""
        case ast.ClusterStmt() if node.relation is not None:
            table = qualname(node.relation)
    return table if table and ctx.existed(table) else ""
