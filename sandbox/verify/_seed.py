"""Synthetic data: fill the clone's tables before the migration runs, then ANALYZE.

Rows go in parents-first, spread over a few tenants, each foreign key pointing at a parent
row of the same tenant. Everything runs as the migrator (never the superuser), so the
schema's own defaults and checks run with no more rights than the migration has. Tables
that force row-level security, and user triggers, are switched off for the insert and
restored in the same transaction, so the catalog is exactly as before.
"""

from __future__ import annotations

import uuid

import psycopg

from dbagent.sandbox.models import DataSummary
from dbagent.sandbox.verify._tables import Column, Table, Tables, ident
from dbagent.sandbox.verify._values import Constraints, read_checks, value

_TRIGGERS = """
select t.tgname, t.tgenabled::text from pg_catalog.pg_trigger t
 where t.tgrelid = %s and not t.tgisinternal and t.tgenabled <> 'D'
"""
_ENABLE = {"O": "enable trigger", "A": "enable always trigger", "R": "enable replica trigger"}


def tenant_values(key: Column, count: int) -> list[str] | None:
    """Literal tenant ids when no tenants table supplies them."""
    if key.base == "uuid":
        return [str(uuid.uuid5(uuid.NAMESPACE_URL, f"dbagent-tenant-{i}")) for i in range(count)]
    if key.category == "N":
        return [str(i + 1) for i in range(count)]
    if key.category == "S":
        return [f"tenant_{i + 1}" for i in range(count)]
    return None


class Unfillable(Exception):
    """A NOT NULL column without a default whose type we cannot make values for."""


class Seeder:
    def __init__(self, conn: psycopg.Connection, tables: Tables, rows: int, tenants: int) -> None:
        self.conn, self.tables, self.rows, self.count = conn, tables, rows, tenants
        self.summary = DataSummary()
        self.tenant_type: str | None = None

    def run(self) -> DataSummary:
        root = self.tables.tenant_root()
        order = [t for t in self.tables.in_dependency_order() if not t.partition]
        if root is not None:
            self._fill(root, self.count, tenant=None)
            key = root.primary_key[0] if len(root.primary_key) == 1 else None
            if key:
                self.tenant_type = root.column(key).type
                self.summary.tenants = [str(r[0]) for r in self.conn.execute(
                    f"select {ident(key)}::text from {root.ref} order by ctid")]
        else:
            keyed = next((t for t in order if self.tables.has_key(t)), None)
            if keyed is not None:
                key = keyed.column(self.tables.tenant_key)
                self.tenant_type = key.type
                self.summary.tenants = tenant_values(key, self.count) or []
        if not self.summary.tenants and any(self.tables.has_key(t) for t in order):
            self.summary.notes.append("no tenant values: the tenants table could not be filled")
        self.fill([t for t in order if t is not root])
        return self.summary

    def fill(self, tables: list[Table]) -> None:
        """Fill `tables` (in dependency order) with rows spread over the summary's tenants."""
        tenant = None
        if self.summary.tenants:
            keyed = next((t for t in tables if self.tables.has_key(t)), None)
            type_ = self.tenant_type or (keyed.column(self.tables.tenant_key).type if keyed else "text")
            listed = ", ".join("'" + v.replace("'", "''") + "'" for v in self.summary.tenants)
            tenant = f"(ARRAY[{listed}]::{type_}[])[1 + g % {len(self.summary.tenants)}]"
        for table in tables:
            self._fill(table, self.rows, tenant)
        self.conn.execute("analyze")

    def _fill(self, table: Table, rows: int, tenant: str | None) -> None:
        last_error, checks = "", read_checks(table)
        for nulls, optional in ((True, True), (False, True), (False, False)):
            try:
                statement = self._insert(table, rows, tenant, checks, nulls=nulls, optional=optional)
            except Unfillable as exc:
                last_error = str(exc)
                break
            try:
                with self.conn.transaction():
                    restore = self._quiet(table)
                    inserted = self.conn.execute(statement).rowcount
                    for command in restore:
                        self.conn.execute(command)
            except psycopg.Error as exc:
                if self.conn.broken:
                    raise
                last_error = (exc.diag.message_primary if exc.diag else None) or str(exc).strip()
                continue
            self.summary.rows[table.qname] = inserted
            if inserted == 0 and rows:
                self.summary.notes.append(f"{table.qname}: no rows (a parent table is empty)")
            return
        self.summary.rows[table.qname] = 0
        self.summary.notes.append(f"{table.qname}: could not be filled: {last_error}")

    def _quiet(self, table: Table) -> list[str]:
        """Let the owner write every row: un-force RLS and disable user triggers; return the undo."""
        undo = []
        if table.forced:
            self.conn.execute(f"alter table {table.ref} no force row level security")
            undo.append(f"alter table {table.ref} force row level security")
        for name, state in self.conn.execute(_TRIGGERS, [table.oid]).fetchall():
            self.conn.execute(f"alter table {table.ref} disable trigger {ident(name)}")
            undo.append(f"alter table {table.ref} {_ENABLE.get(state, 'enable trigger')} {ident(name)}")
        return undo

    def _insert(self, table: Table, rows: int, tenant: str | None, checks: Constraints, *,
                nulls: bool, optional: bool) -> str:
        key = self.tables.tenant_key
        assigned: dict[str, str] = {}
        joins: list[str] = []
        per_parent: dict[int, int] = {}  # two links to one parent point at different rows
        if tenant and self.tables.has_key(table):
            nullable = not table.column(key).not_null
            # a nullable tenant key gets some NULLs: policies must not let those rows through
            assigned[key] = f"(case when g % 10 = 9 then null else {tenant} end)" if nulls and nullable else tenant
        for i, fk in enumerate(table.foreign_keys):
            if fk.parent_oid == table.oid or all(c in assigned for c in fk.columns):
                continue
            if fk.columns == [key] and tenant:
                continue
            parent = self.tables.by_oid[fk.parent_oid]
            shift = per_parent[fk.parent_oid] = per_parent.get(fk.parent_oid, -1) + 1
            same_tenant = tenant and self.tables.has_key(table) and self.tables.has_key(parent)
            where = f"where p.{ident(key)} = {tenant}" if same_tenant else ""
            picked = ", ".join(f"p.{ident(c)}" for c in fk.parent_columns)
            joins.append(
                f"left join lateral (select {picked} from {parent.ref} p {where} order by p.ctid "
                f"offset (g / {max(1, len(self.summary.tenants))} + {shift}) % greatest(1, "
                f"(select count(*) from {parent.ref} p {where})) limit 1) fk{i} on true")
            for col, parent_col in zip(fk.columns, fk.parent_columns):
                assigned.setdefault(col, f"fk{i}.{ident(parent_col)}")
        names, values = [], []
        for col in table.columns:
            if col.generated or (col.serial and col.name not in assigned):
                continue
            if col.name in assigned:
                expression = assigned[col.name]
            elif not optional and (not col.not_null or col.has_default):
                continue
            else:
                expression = value(col, table, checks, nulls=nulls)
                if expression is None:
                    if col.not_null and not col.has_default:
                        raise Unfillable(f"no way to make up a value of type {col.type} for column {col.name}")
                    continue
            names.append(ident(col.name))
            values.append(expression)
        if not names:
            return f"insert into {table.ref} select from generate_series(0, {rows - 1}) g on conflict do nothing"
        return (f"insert into {table.ref} ({', '.join(names)}) select {', '.join(values)} "
                f"from generate_series(0, {rows - 1}) g {' '.join(joins)} on conflict do nothing")


def seed(conn: psycopg.Connection, tables: Tables, rows: int = 200, tenants: int = 3) -> DataSummary:
    """Fill every table of the clone; what could not be filled is in the summary's notes."""
    return Seeder(conn, tables, rows, tenants).run()


def seed_new(conn: psycopg.Connection, tables: Tables, names: set[str], summary: DataSummary,
             rows: int = 200) -> None:
    """Fill the tables a migration created, over the same tenants; adds to `summary`."""
    seeder = Seeder(conn, tables, rows, len(summary.tenants))
    seeder.summary = summary
    seeder.fill([t for t in tables.in_dependency_order() if t.qname in names and not t.partition])
