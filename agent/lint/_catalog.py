"""The linter's picture of the database: tables, columns, keys, indexes, RLS and policies.

Built by replaying DDL (the `--schema` file, then each migration statement) so rules can
ask what existed before the migration and what the migration has done so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dbagent.lint._ast import ast, const_value, def_options, embedded_sql, names, qualname, type_name, walk


@dataclass
class Column:
    name: str
    type: str
    not_null: bool = False


@dataclass
class ForeignKey:
    columns: tuple[str, ...]
    target: str


@dataclass
class Index:
    name: str
    table: str
    columns: tuple[str, ...]  # expressions appear as "(expr)"
    unique: bool = False
    method: str = "btree"
    partial: bool = False


@dataclass
class Policy:
    name: str
    table: str
    command: str  # all, select, insert, update, delete
    permissive: bool
    roles: tuple[str, ...]  # () means PUBLIC
    using: ast.Node | None
    check: ast.Node | None


@dataclass
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    rls: bool = False
    forced: bool = False
    kind: str = "table"  # table, view, matview
    existed: bool = False  # present before the migration
    security_invoker: bool = False
    reads: tuple[str, ...] = ()  # views: the relations they select from


@dataclass
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)  # by schema-qualified name
    policies: dict[tuple[str, str], Policy] = field(default_factory=dict)  # (table, name)
    setting_functions: set[str] = field(default_factory=set)  # functions that read the tenant setting
    roles: set[str] = field(default_factory=set)  # roles the schema or the migration created

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def indexes_on(self, table: str) -> list[Index]:
        return [i for i in self.indexes.values() if i.table == table]

    def policies_on(self, table: str) -> list[Policy]:
        return [p for p in self.policies.values() if p.table == table]

    def is_tenant_table(self, name: str, tenant_key: str, _seen: frozenset = frozenset()) -> bool:
        """Has the tenant key, or reaches a tenant table through a NOT NULL foreign key."""
        t = self.tables.get(name)
        if t is None or t.kind != "table" or name in _seen:
            return False
        if tenant_key in t.columns:
            return True
        return any(fk.target != name and all(t.columns.get(c, Column(c, "")).not_null for c in fk.columns)
                   and self.is_tenant_table(fk.target, tenant_key, _seen | {name})
                   for fk in t.foreign_keys)

    def mark_existing(self) -> None:
        for t in self.tables.values():
            t.existed = True


def reads_setting(node, setting: str, helpers: set[str] = frozenset()) -> bool:
    """Does the expression call current_setting(setting, ...) or a helper known to?"""
    for n in walk(node):
        if isinstance(n, ast.FuncCall):
            fname = names(n.funcname)[-1].lower() if n.funcname else ""
            if fname == "current_setting" and n.args and const_value(n.args[0]) == setting:
                return True
            if fname in helpers:
                return True
    return False


def index_column(elem: ast.IndexElem) -> str:
    return elem.name if elem.name else "(expr)"


class Replayer:
    """Applies DDL statements to a Catalog, one at a time."""

    def __init__(self, catalog: Catalog, setting: str) -> None:
        self.cat = catalog
        self.setting = setting
        self.text = ""

    def apply(self, stmt: ast.Node, text: str = "") -> None:
        """Apply one statement (`text` is its source, used to parse PL/pgSQL bodies)."""
        self.text = text
        handler = getattr(self, "_" + type(stmt).__name__, None)
        if handler:
            handler(stmt)

    # tables ------------------------------------------------------------------------------
    def _CreateStmt(self, s: ast.CreateStmt) -> None:  # noqa: N802
        name = qualname(s.relation)
        if s.if_not_exists and name in self.cat.tables:
            return
        t = Table(name)
        self.cat.tables[name] = t
        for elt in s.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                self._add_column(t, elt)
            elif isinstance(elt, ast.Constraint):
                self._add_constraint(t, elt)

    def _add_column(self, t: Table, col: ast.ColumnDef) -> None:
        c = Column(col.colname, type_name(col.typeName))
        t.columns[col.colname] = c
        for con in col.constraints or ():
            kind = con.contype.name
            if kind in ("CONSTR_NOTNULL", "CONSTR_PRIMARY", "CONSTR_IDENTITY"):
                c.not_null = True
            if kind == "CONSTR_PRIMARY":
                t.primary_key = (col.colname,)
                self._implicit_index(t, (col.colname,), True, con.conname)
            elif kind == "CONSTR_UNIQUE":
                self._implicit_index(t, (col.colname,), True, con.conname)
            elif kind == "CONSTR_FOREIGN":
                t.foreign_keys.append(ForeignKey((col.colname,), qualname(con.pktable)))
        if c.type in ("serial", "bigserial", "smallserial", "serial4", "serial8"):
            c.not_null = True

    def _add_constraint(self, t: Table, con: ast.Constraint) -> None:
        kind = con.contype.name
        cols = tuple(names(con.keys))
        if kind == "CONSTR_PRIMARY":
            t.primary_key = cols
            for c in cols:
                if c in t.columns:
                    t.columns[c].not_null = True
            self._implicit_index(t, cols, True, con.conname)
        elif kind == "CONSTR_UNIQUE":
            self._implicit_index(t, cols, True, con.conname)
        elif kind == "CONSTR_FOREIGN":
            t.foreign_keys.append(ForeignKey(tuple(names(con.fk_attrs)), qualname(con.pktable)))

    def _implicit_index(self, t: Table, cols: tuple[str, ...], unique: bool, conname: str | None) -> None:
        schema = t.name.split(".", 1)[0]
        name = conname or f"{t.name.split('.', 1)[1]}_{'_'.join(cols)}_key"
        self.cat.indexes[f"{schema}.{name}"] = Index(name, t.name, cols, unique)

    def _AlterTableStmt(self, s: ast.AlterTableStmt) -> None:  # noqa: N802
        t = self.cat.tables.get(qualname(s.relation))
        if t is None:
            return
        for cmd in s.cmds or ():
            sub = cmd.subtype.name
            if sub == "AT_AddColumn" and isinstance(cmd.def_, ast.ColumnDef):
                self._add_column(t, cmd.def_)
            elif sub == "AT_DropColumn":
                t.columns.pop(cmd.name, None)
            elif sub == "AT_AddConstraint" and isinstance(cmd.def_, ast.Constraint):
                self._add_constraint(t, cmd.def_)
            elif sub == "AT_SetNotNull" and cmd.name in t.columns:
                t.columns[cmd.name].not_null = True
            elif sub == "AT_DropNotNull" and cmd.name in t.columns:
                t.columns[cmd.name].not_null = False
            elif sub == "AT_AlterColumnType" and cmd.name in t.columns:
                t.columns[cmd.name].type = type_name(cmd.def_.typeName)
            elif sub == "AT_EnableRowSecurity":
                t.rls = True
            elif sub == "AT_DisableRowSecurity":
                t.rls = False
            elif sub == "AT_ForceRowSecurity":
                t.forced = True
            elif sub == "AT_NoForceRowSecurity":
                t.forced = False

    def _RenameStmt(self, s: ast.RenameStmt) -> None:  # noqa: N802
        if s.renameType.name == "OBJECT_TABLE" and s.relation is not None:
            old = qualname(s.relation)
            t = self.cat.tables.pop(old, None)
            if t:
                t.name = f"{old.split('.', 1)[0]}.{s.newname}"
                self.cat.tables[t.name] = t
                for i in self.cat.indexes.values():
                    if i.table == old:
                        i.table = t.name
        elif s.renameType.name == "OBJECT_COLUMN" and s.relation is not None:
            t = self.cat.tables.get(qualname(s.relation))
            if t and s.subname in t.columns:
                col = t.columns.pop(s.subname)
                col.name = s.newname
                t.columns[s.newname] = col

    def _DropStmt(self, s: ast.DropStmt) -> None:  # noqa: N802
        kind = s.removeType.name
        for obj in s.objects or ():
            parts = names(obj) if isinstance(obj, (list, tuple)) else []
            if not parts:
                continue
            qualified = ".".join(parts) if len(parts) > 1 else f"public.{parts[0]}"
            if kind in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW"):
                self.cat.tables.pop(qualified, None)
                for key in [k for k, i in self.cat.indexes.items() if i.table == qualified]:
                    del self.cat.indexes[key]
                for key in [k for k in self.cat.policies if k[0] == qualified]:
                    del self.cat.policies[key]
            elif kind == "OBJECT_INDEX":
                self.cat.indexes.pop(qualified, None)
            elif kind == "OBJECT_POLICY" and len(parts) >= 2:
                table = ".".join(parts[:-1]) if len(parts) > 2 else f"public.{parts[0]}"
                self.cat.policies.pop((table, parts[-1]), None)

    # indexes, policies, views, functions ---------------------------------------------------
    def _IndexStmt(self, s: ast.IndexStmt) -> None:  # noqa: N802
        table = qualname(s.relation)
        schema = table.split(".", 1)[0]
        cols = tuple(index_column(e) for e in s.indexParams or ())
        name = s.idxname or f"{table.split('.', 1)[1]}_{'_'.join(c for c in cols if c != '(expr)')}_idx"
        key = f"{schema}.{name}"
        if s.if_not_exists and key in self.cat.indexes:
            return
        self.cat.indexes[key] = Index(name, table, cols, bool(s.unique), s.accessMethod or "btree",
                                      s.whereClause is not None)

    def _CreatePolicyStmt(self, s: ast.CreatePolicyStmt) -> None:  # noqa: N802
        table = qualname(s.table)
        roles = tuple(r.rolename or "public" for r in s.roles or () if r.rolename != "public")
        self.cat.policies[(table, s.policy_name)] = Policy(
            s.policy_name, table, s.cmd_name or "all", bool(s.permissive), roles, s.qual, s.with_check)

    def _AlterPolicyStmt(self, s: ast.AlterPolicyStmt) -> None:  # noqa: N802
        p = self.cat.policies.get((qualname(s.table), s.policy_name))
        if p is None:
            return
        if s.qual is not None:
            p.using = s.qual
        if s.with_check is not None:
            p.check = s.with_check
        if s.roles:
            p.roles = tuple(r.rolename for r in s.roles if r.rolename and r.rolename != "public")

    def _ViewStmt(self, s: ast.ViewStmt) -> None:  # noqa: N802
        name = qualname(s.view)
        opts = def_options(s.options)
        self.cat.tables[name] = Table(name, kind="view", reads=relations_read(s.query),
                                      security_invoker=str(opts.get("security_invoker", "")).lower()
                                      in ("true", "on", "1", "yes"))

    def _CreateTableAsStmt(self, s: ast.CreateTableAsStmt) -> None:  # noqa: N802
        name = qualname(s.into.rel)
        kind = "matview" if s.objtype.name == "OBJECT_MATVIEW" else "table"
        self.cat.tables[name] = Table(name, kind=kind, reads=relations_read(s.query))

    def _CreateRoleStmt(self, s: ast.CreateRoleStmt) -> None:  # noqa: N802
        self.cat.roles.add(s.role)

    def _DoStmt(self, s: ast.DoStmt) -> None:  # noqa: N802
        """Roles made in a DO block (the usual `IF NOT EXISTS ... CREATE ROLE` guard)."""
        self.cat.roles.update(n.role for n, _ in embedded_sql(s, self.text) if isinstance(n, ast.CreateRoleStmt))

    def _CreateFunctionStmt(self, s: ast.CreateFunctionStmt) -> None:  # noqa: N802
        fname = names(s.funcname)[-1].lower()
        if any(reads_setting(n, self.setting) for n, _ in embedded_sql(s, self.text)):  # e.g. current_tenant_id()
            self.cat.setting_functions.add(fname)


def relations_read(query) -> tuple[str, ...]:
    return tuple(sorted({qualname(n) for n in walk(query) if isinstance(n, ast.RangeVar)}))
