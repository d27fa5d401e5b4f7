"""Tenant isolation, proven by querying as tenants.

For every table that holds tenant rows (its own key, or a NOT NULL foreign-key chain to a
table with one), after the migration: as the application role with tenant A set it sees
exactly A's rows; it cannot insert rows for tenant B, move A's rows to B, or touch B's
rows; with no tenant set it sees nothing; an admin role named in the policies sees every
tenant; the table owner is restricted too when RLS is forced. What each row's tenant is
comes from the superuser's view of the data, never from the policies being tested.
Every probe runs in a transaction that is rolled back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import psycopg
from pglast import parse_sql
from pglast.visitors import Visitor

from dbagent.sandbox.models import VerifyCheck
from dbagent.sandbox.verify import _sharing as sharing
from dbagent.sandbox.verify._tables import ForeignKey, Table, Tables, ident, why

PROBE_ROLE = "dbagent_probe_app"
_POLICIES = """
select p.polname, p.polpermissive, p.polcmd::text,
       coalesce((select array_agg(r.rolname::text order by r.rolname) from pg_catalog.pg_roles r
                  where r.oid = any(p.polroles)), array['public']),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
  from pg_catalog.pg_policy p where p.polrelid = %s
"""
_WRITERS = """
select pg_catalog.pg_get_userbyid(a.grantee) from pg_catalog.pg_class c, aclexplode(c.relacl) a
 where c.oid = %s and a.grantee <> 0 and a.privilege_type in ('INSERT', 'UPDATE', 'DELETE')
 group by a.grantee order by count(*) desc, 1
"""
_GRANTEES = """
select distinct pg_catalog.pg_get_userbyid(a.grantee) from pg_catalog.pg_class c, aclexplode(c.relacl) a
 where c.oid = %s and a.grantee <> 0 and a.privilege_type = 'SELECT'
"""


@dataclass
class Policy:
    name: str
    permissive: bool
    command: str
    roles: list[str]
    using: str | None
    check: str | None


class _Relations(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_RangeVar(self, ancestors, node):  # noqa: N802 (pglast's naming)
        self.names.add(node.relname)


def relations_read(policies: list[Policy]) -> set[str]:
    """Bare names of the tables the policies' expressions read."""
    visitor = _Relations()
    for policy in policies:
        for expression in (policy.using, policy.check):
            if expression:
                try:
                    visitor(parse_sql(f"select 1 where {expression}"))
                except Exception:  # noqa: BLE001 - an expression pglast cannot read names nothing
                    pass
    return visitor.names


@dataclass
class Isolation:
    admin: psycopg.Connection            # superuser: reads the truth, runs nothing of the migration's
    migrator: psycopg.Connection         # everything that evaluates policies runs here
    fresh: Callable[[], psycopg.Connection]
    tables: Tables
    before: set[str]                     # qualified names of tables that existed before
    tenants: list[str]
    setting: str
    is_admin_role: Callable[[str], bool]
    allow_set_role: Callable[..., bool]  # lets the migrator SET ROLE to it; False if it must not

    def __post_init__(self) -> None:
        self._allowed: dict[str, bool] = {}

    def act_as(self, role: str) -> bool:
        if role not in self._allowed:
            self._allowed[role] = self.allow_set_role(role, create=role == PROBE_ROLE)
        return self._allowed[role]

    def run(self) -> list[VerifyCheck]:
        checks: list[VerifyCheck] = []
        if len(self.tenants) < 2:
            return [VerifyCheck(name="tenant isolation", kind="isolation", status="skipped",
                                evidence="fewer than two tenants in the synthetic data")] \
                if self.tables.tenant_tables() else []
        for table, path in self.tables.tenant_tables():
            checks += self._table(table, path)
        return checks

    # ------------------------------------------------------------------ per table
    def _table(self, table: Table, path: list[tuple[Table, ForeignKey]]) -> list[VerifyCheck]:
        subject = table.qname
        if not table.rls:
            new = table.qname not in self.before
            return [VerifyCheck(name=f"{subject}: row-level security enabled", kind="isolation",
                                status="failed" if new else "warning", subject=subject,
                                evidence="holds tenant rows but row-level security is off"
                                         + (" (a table this migration created)" if new else ""))]
        policies = [Policy(*row) for row in self.migrator.execute(_POLICIES, [table.oid]).fetchall()]
        truth = self._truth(table, path)
        app = self._app_role(table, policies)
        mine = {ctid for ctid, tenant in truth.items() if tenant == self.tenants[0]}
        rel = self._relationship(table, policies, path)
        checks = [self._sees_own(table, app, truth, mine, policies, path, rel),
                  self._sees_nothing(table, app),
                  self._writes(table, path, app, truth)]
        if rel is not None:
            checks += [self._after_links_end(table, app, mine, rel, how) for how in rel.endings]
        admins = sorted({r for p in policies for r in p.roles if self.is_admin_role(r)})
        for role in admins:
            checks.append(self._admin(table, role, truth))
        checks.append(self._force(table, app, mine))
        return checks

    def _truth(self, table: Table, path: list[tuple[Table, ForeignKey]]) -> dict[str, str | None]:
        """ctid -> the tenant the row belongs to, following the foreign-key chain."""
        joins, alias = [], "t0"
        for i, (_, fk) in enumerate(path):
            parent = self.tables.by_oid[fk.parent_oid]
            on = " and ".join(f"t{i}.{ident(c)} = t{i + 1}.{ident(p)}" for c, p in zip(fk.columns, fk.parent_columns))
            joins.append(f"left join {parent.ref} t{i + 1} on {on}")
            alias = f"t{i + 1}"
        rows = self.admin.execute(f"select t0.ctid::text, {alias}.{ident(self.tables.tenant_key)}::text "
                                  f"from {table.ref} t0 {' '.join(joins)}").fetchall()
        return dict(rows)

    def _app_role(self, table: Table, policies: list[Policy]) -> str:
        """The role the application writes with: a grantee with write privileges first (a support
        or read-only role named in a narrower policy is not the application), then policy roles."""
        writers = [r for (r,) in self.admin.execute(_WRITERS, [table.oid]).fetchall()
                   if r != table.owner and not self.is_admin_role(r) and not r.startswith("dbagent_")]
        named = [r for p in policies for r in p.roles if r != "public" and not self.is_admin_role(r)]
        permissive_all = {r for p in policies if p.permissive and p.command == "*" for r in p.roles}
        candidates = [r for r in writers if r in permissive_all or "public" in permissive_all]
        if "public" in permissive_all:  # policies for everyone: a plain role is the application
            candidates.append(PROBE_ROLE)
        candidates += named + writers
        if not candidates or any("public" in p.roles for p in policies):
            candidates += [r for (r,) in self.admin.execute(_GRANTEES, [table.oid]).fetchall()
                           if r != table.owner and not self.is_admin_role(r) and not r.startswith("dbagent_")]
        for role in dict.fromkeys(candidates):
            if self.act_as(role):
                return role
        self.act_as(PROBE_ROLE)  # a plain role: policies written TO PUBLIC apply to it
        return PROBE_ROLE

    def _as(self, conn: psycopg.Connection, table: Table, role: str | None, tenant: str | None):
        """Inside a transaction: privileges for `role` on the table (rolled back), then become it."""
        if role is not None:
            # Policies are under test, not grants: the role may read every table of the schemas
            # involved (a child's policy reads its parent) and write this one, until the rollback.
            for schema in sorted({t.schema for t in self.tables.by_oid.values()}):
                conn.execute(f"grant usage on schema {ident(schema)} to {ident(role)}")
                conn.execute(f"grant select on all tables in schema {ident(schema)} to {ident(role)}")
            conn.execute(f"grant select, insert, update, delete on {table.ref} to {ident(role)}")
            conn.execute(f"set local role {ident(role)}")
        if tenant is not None:
            conn.execute("select pg_catalog.set_config(%s, %s, true)", [self.setting, tenant])

    def _visible(self, table: Table, role: str | None, tenant: str | None,
                 conn: psycopg.Connection | None = None) -> set[str]:
        conn = conn or self.migrator
        with conn.transaction(force_rollback=True):
            self._as(conn, table, role, tenant)
            return {r[0] for r in conn.execute(f"select ctid::text from {table.ref}").fetchall()}

    def _sees_own(self, table, app, truth, mine, policies, path, rel) -> VerifyCheck:
        name = f"{table.qname}: tenant A sees only its own rows"
        try:
            seen = self._visible(table, app, self.tenants[0])
        except psycopg.Error as exc:
            return _failed(name, table, f"as {app} with tenant A set, reading raised {why(exc)}")
        leaked, missing = seen - mine, mine - seen
        evidence = (f"as {app} with {self.setting} = A: saw {len(seen)} rows, {len(mine)} belong to A, "
                    f"{len(leaked)} belong to other tenants, {len(missing)} of A's rows missing")
        if leaked and rel is not None:
            partners = sharing.granted(self.admin, rel, self.tenants[0])
            beyond = {c for c in leaked if truth.get(c) not in partners}
            evidence += (f"; shared through {rel.how}: {len(partners)} tenant(s) have an active link with A, "
                         f"{len(beyond)} row(s) seen of tenants without one")
            if beyond:
                return _failed(name, table, evidence)
            return VerifyCheck(name=name, kind="isolation", status="passed", subject=table.qname, evidence=evidence)
        if leaked:
            via = relations_read(policies) - {table.name} - {self.tables.by_oid[fk.parent_oid].name for _, fk in path}
            if via:
                evidence += f"; the policies read {', '.join(sorted(via))}, which is not a recognisable relationship"
            return _failed(name, table, evidence)
        if missing:
            readable = [p for p in policies if p.permissive and p.command in ("r", "*")
                        and (app in p.roles or "public" in p.roles)]
            if not readable:
                return VerifyCheck(name=name, kind="isolation", status="passed", subject=table.qname,
                                   evidence=evidence + f": no policy lets {app} read this table (admin-only)")
            return _failed(name, table, evidence + " (the policy compares the wrong value?)")
        if not mine:
            return VerifyCheck(name=name, kind="isolation", status="warning", subject=table.qname,
                               evidence="tenant A has no rows in the synthetic data: nothing to compare")
        return VerifyCheck(name=name, kind="isolation", status="passed", subject=table.qname, evidence=evidence)

    def _relationship(self, table: Table, policies, path) -> "sharing.Relationship | None":
        via = relations_read(policies) - {table.name} - {self.tables.by_oid[fk.parent_oid].name for _, fk in path}
        return sharing.find(self.tables, via) if via else None

    def _after_links_end(self, table: Table, app, mine, rel: "sharing.Relationship", how: str) -> VerifyCheck:
        name = f"{table.qname}: after {how} of every link in {rel.table.qname}, tenant A sees only its own rows"
        try:
            with self.migrator.transaction(force_rollback=True):
                done = sharing.end_all(self.migrator, rel, how)
                self._as(self.migrator, table, app, self.tenants[0])
                seen = {r[0] for r in self.migrator.execute(f"select ctid::text from {table.ref}").fetchall()}
        except sharing.LinksStay as exc:
            return VerifyCheck(name=name, kind="isolation", status="skipped", subject=table.qname, evidence=str(exc))
        except psycopg.Error as exc:
            return _failed(name, table, f"ending the links or reading raised {why(exc)}")
        leaked = seen - mine
        return VerifyCheck(name=name, kind="isolation", status="failed" if leaked else "passed", subject=table.qname,
                           evidence=f"{done}; then as {app}: {len(seen)} rows, "
                                    f"{len(leaked)} of other tenants")

    def _sees_nothing(self, table, app) -> VerifyCheck:
        name = f"{table.qname}: no tenant set sees nothing"
        results = []
        for label, tenant in (("never set", None), ("set to ''", "")):
            conn = self.fresh() if tenant is None else self.migrator
            try:
                seen = self._visible(table, app, tenant, conn)
                results.append((label, len(seen), None))
            except psycopg.Error as exc:
                results.append((label, 0, why(exc)))
            finally:
                if tenant is None:
                    conn.close()
        evidence = "; ".join(f"{label}: {n} rows" + (f" (raised {err})" if err else "") for label, n, err in results)
        status = "failed" if any(n for _, n, _ in results) else "passed"
        return VerifyCheck(name=name, kind="isolation", status=status, subject=table.qname,
                           evidence=f"as {app}: {evidence}")

    def _writes(self, table: Table, path, app, truth) -> VerifyCheck:
        name = f"{table.qname}: tenant A cannot write tenant B's rows"
        a, b = self.tenants[0], self.tenants[1]
        a_rows = [c for c, t in truth.items() if t == a]
        b_rows = [c for c, t in truth.items() if t == b]
        if not a_rows or not b_rows:
            return VerifyCheck(name=name, kind="isolation", status="skipped", subject=table.qname,
                               evidence="the synthetic data has no rows of tenant A or B here")
        columns, changes = self._retarget(table, path, b)
        if changes is None:
            return VerifyCheck(name=name, kind="isolation", status="skipped", subject=table.qname,
                               evidence="tenant B has no parent row to point at")
        row = self.admin.execute(f"select row_to_json(t) from {table.ref} t where ctid = %s::tid",
                                 [a_rows[0]]).fetchone()[0]
        row.update(changes)
        insertable = [c for c in table.columns if not c.generated
                      and not (c.name in table.primary_key and c.has_default)]
        names = ", ".join(ident(c.name) for c in insertable)
        probes = {
            "insert a row for B": (f"insert into {table.ref} ({names}) select {names} from "
                                   f"json_populate_record(null::{table.ref}, %s::json)", [json.dumps(row)]),
            "move A's row to B": (f"update {table.ref} set " + ", ".join(f"{ident(c)} = %s" for c in columns)
                                  + " where ctid = %s::tid", [changes[c] for c in columns] + [a_rows[0]]),
            "update B's rows": (f"update {table.ref} set {ident(columns[0])} = {ident(columns[0])} "
                                "where ctid = any(%s::tid[])", [b_rows]),
            "delete B's rows": (f"delete from {table.ref} where ctid = any(%s::tid[])", [b_rows]),
        }
        outcomes, failed = [], False
        for label, (statement, params) in probes.items():
            try:
                with self.migrator.transaction(force_rollback=True):
                    self._as(self.migrator, table, app, a)
                    count = self.migrator.execute(statement, params).rowcount
                if count:
                    failed = True
                    outcomes.append(f"{label}: ALLOWED ({count} row(s))")
                else:
                    outcomes.append(f"{label}: 0 rows")
            except psycopg.Error as exc:
                if exc.sqlstate == "42501":
                    outcomes.append(f"{label}: refused (42501)")
                elif (exc.sqlstate or "").startswith("23") and "PL/pgSQL" not in (exc.diag.context or ""):
                    # constraints are checked after the policies; a BEFORE trigger's error comes before
                    failed = True
                    outcomes.append(f"{label}: passed row-level security, then failed with {why(exc)}")
                else:
                    outcomes.append(f"{label}: raised {why(exc)}")
        return VerifyCheck(name=name, kind="isolation", status="failed" if failed else "passed",
                           subject=table.qname, evidence=f"as {app} with tenant A: " + "; ".join(outcomes))

    def _retarget(self, table: Table, path, b: str) -> tuple[list[str], dict | None]:
        """Which columns make a row tenant B's, and their values."""
        if not path:
            return [self.tables.tenant_key], {self.tables.tenant_key: b}
        _, fk = path[0]
        parent = self.tables.by_oid[fk.parent_oid]
        parent_path = self.tables.path_to_tenant(parent)
        truth = self._truth(parent, parent_path or [])
        ctid = next((c for c, t in truth.items() if t == b), None)
        if ctid is None:
            return fk.columns, None
        row = self.admin.execute(f"select row_to_json(t) from {parent.ref} t where ctid = %s::tid", [ctid]).fetchone()[0]
        return fk.columns, {c: row[p] for c, p in zip(fk.columns, fk.parent_columns)}

    def _admin(self, table: Table, role: str, truth) -> VerifyCheck:
        name = f"{table.qname}: admin role {role} sees every tenant"
        if not self.act_as(role):
            return VerifyCheck(name=name, kind="isolation", status="skipped", subject=table.qname,
                               evidence=f"{role} is privileged in the sandbox: not used")
        try:
            seen = self._visible(table, role, self.tenants[0])
        except psycopg.Error as exc:
            return _failed(name, table, f"as {role}: reading raised {why(exc)}")
        ok = seen == set(truth)
        return VerifyCheck(name=name, kind="isolation", status="passed" if ok else "failed", subject=table.qname,
                           evidence=f"as {role}: saw {len(seen)} of {len(truth)} rows")

    def _force(self, table: Table, app, mine) -> VerifyCheck:
        name = f"{table.qname}: the table owner is restricted too"
        if not table.forced:
            if table.owner == app:
                return _failed(name, table, f"the application role {app} owns the table and RLS is not "
                                            "forced: it bypasses every policy (FORCE ROW LEVEL SECURITY)")
            return VerifyCheck(name=name, kind="isolation", status="warning", subject=table.qname,
                               evidence=f"RLS is not forced: the owner {table.owner} bypasses the policies")
        if table.owner == self.migrator.info.user:
            # The sandbox's migrator is a member of every role the schema names, so policies for
            # those roles apply to it: probing as it would say nothing about a real owner.
            return VerifyCheck(name=name, kind="isolation", status="passed", subject=table.qname,
                               evidence="FORCE ROW LEVEL SECURITY is set: the owner is subject to the policies")
        owner = table.owner
        if not self.act_as(owner):
            return VerifyCheck(name=name, kind="isolation", status="skipped", subject=table.qname,
                               evidence=f"owner {owner} is privileged in the sandbox")
        try:
            with self.migrator.transaction(force_rollback=True):
                self.migrator.execute(f"set local role {ident(owner)}")
                self.migrator.execute("select pg_catalog.set_config(%s, %s, true)", [self.setting, self.tenants[0]])
                seen = {r[0] for r in self.migrator.execute(f"select ctid::text from {table.ref}").fetchall()}
        except psycopg.Error as exc:
            return _failed(name, table, f"as the owner: reading raised {why(exc)}")
        leaked = seen - mine
        return VerifyCheck(name=name, kind="isolation", status="failed" if leaked else "passed", subject=table.qname,
                           evidence=f"forced; as the owner with tenant A: {len(seen)} rows, {len(leaked)} of other tenants")



def _failed(name: str, table: Table, evidence: str) -> VerifyCheck:
    return VerifyCheck(name=name, kind="isolation", status="failed", subject=table.qname, evidence=evidence)
