"""Verification: prove a migration behaves, from what the catalog says after it ran.

    seed_clone      synthetic rows in every table, across tenants, before the migration
    baseline_clone  the isolation checks before it, so the schema's own failures are told apart
    verify_clone    after it: tenant isolation, index usability, lock report, objects work

Both run against a clone in the sandbox; probes run as the migrator (SET ROLE to the
application and admin roles), the superuser only reads which tenant each row belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dbagent.sandbox._sandbox import Sandbox
from dbagent.sandbox.models import CatalogChange, DataSummary, LockEntry, StatementOutcome, VerifyCheck
from dbagent.sandbox.verify._indexes import IndexChecks
from dbagent.sandbox.verify._isolation import Isolation
from dbagent.sandbox.verify._locks import LockReport
from dbagent.sandbox.verify._objects import ObjectChecks
from dbagent.sandbox.verify._seed import seed, seed_new
from dbagent.sandbox.verify._tables import Tables

_SIZES = """
select pg_catalog.format('%%I.%%I', n.nspname, c.relname), greatest(c.reltuples, 0)::float8,
       pg_catalog.pg_total_relation_size(c.oid)
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where pg_catalog.format('%%I.%%I', n.nspname, c.relname) = any(%s)
"""


@dataclass(frozen=True)
class VerifyOptions:
    """What to fill and probe with; the tenant words match the linter's configuration."""

    rows: int = 200
    tenants: int = 3
    tenant_key: str = "tenant_id"
    tenant_setting: str = "app.current_tenant_id"
    admin_roles: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()
    sizes: dict[str, tuple[float, int]] = field(default_factory=dict, hash=False)
    large_rows: float = 100_000
    large_bytes: int = 256 * 1024 * 1024

    def is_admin_role(self, role: str) -> bool:
        return role in self.admin_roles or "admin" in role.lower()


def seed_clone(sandbox: Sandbox, db: str, options: VerifyOptions) -> DataSummary:
    """Fill the clone's tables (as the migrator), then ANALYZE."""
    with sandbox.connect(db) as conn:
        return seed(conn, Tables.read(conn, options.tenant_key), options.rows, options.tenants)


def _isolation(sandbox: Sandbox, db: str, options: VerifyOptions, conn, admin, tables: Tables,
               tables_before: set[str], tenants: list[str]) -> list[VerifyCheck]:
    return Isolation(admin, conn, lambda: sandbox.connect(db), tables, tables_before, tenants,
                     options.tenant_setting, options.is_admin_role, sandbox.allow_set_role).run()


def baseline_clone(sandbox: Sandbox, db: str, options: VerifyOptions, tenants: list[str]) -> dict[str, str]:
    """The isolation checks before the migration: check name -> status. A failure the schema
    already had, on a table the migration leaves alone, is the schema's, not the migration's."""
    with sandbox.connect(db) as conn, sandbox.admin(db) as admin:
        tables = Tables.read(conn, options.tenant_key)
        checks = _isolation(sandbox, db, options, conn, admin, tables, {t.qname for t in tables.by_oid.values()},
                            tenants)
    return {c.name: c.status for c in checks}


def _touched(changes: list[CatalogChange]) -> set[str]:
    """Tables whose row-level security the migration changed: flags, policies, or the table itself."""
    touched = set()
    for c in changes:
        if c.kind == "policy":
            touched.add(c.name.rsplit(".", 1)[0])
        elif c.kind == "table" and (c.change == "added" or {"rls_enabled", "rls_forced", "owner"} & c.fields.keys()):
            touched.add(c.name)
    return touched


def _against_baseline(checks: list[VerifyCheck], baseline: dict[str, str], touched: set[str]) -> list[VerifyCheck]:
    """Failures the schema already had, on tables the migration leaves alone, become warnings
    (rebuilt, so `passed` follows the status)."""
    return [VerifyCheck(name=c.name, kind=c.kind, status="warning", subject=c.subject,
                        evidence=f"as before the migration, which leaves this table's policies alone: {c.evidence}")
            if c.status == "failed" and baseline.get(c.name) == "failed" and c.subject not in touched else c
            for c in checks]


def verify_clone(sandbox: Sandbox, db: str, options: VerifyOptions, *, tables_before: set[str],
                 changes: list[CatalogChange], statements: list[StatementOutcome],
                 data: DataSummary, baseline: dict[str, str] | None = None,
                 new_views: dict[str, bool] | None = None) -> tuple[list[VerifyCheck], list[LockEntry]]:
    """Every check on the migrated clone. Tables the migration created get synthetic rows first
    (the rollback drops them); every probe is rolled back."""
    added = {kind: [c.name for c in changes if c.kind == kind and c.change == "added"]
             for kind in ("index", "trigger", "function")}
    tenants = data.tenants
    tenant = tenants[0] if tenants else None
    with sandbox.connect(db) as conn, sandbox.admin(db) as admin:
        tables = Tables.read(conn, options.tenant_key)
        new = {t.qname for t in tables.by_oid.values()} - tables_before
        if new:
            seed_new(conn, tables, new, data, options.rows)
        checks = _isolation(sandbox, db, options, conn, admin, tables, tables_before, tenants)
        checks = _against_baseline(checks, baseline or {}, _touched(changes))
        checks += IndexChecks(conn, added["index"], list(options.queries), options.tenant_setting, tenant,
                              sandbox.version, [t.ref for t in tables.by_oid.values() if t.forced]).run()
        locked = sorted({lock.relation for s in statements for lock in s.locks} | {r for s in statements for r in s.rewrote})
        sizes = options.sizes or {name: (rows, size) for name, rows, size in admin.execute(_SIZES, [locked])}
        locks, lock_checks = LockReport(statements, sizes, bool(options.sizes), options.large_rows,
                                        options.large_bytes).run()
        checks += lock_checks
        checks += ObjectChecks(conn, tables, added["trigger"], added["function"], sorted((new_views or {}).items()),
                               options.tenant_setting, tenant).run()
        if new:  # the rollback sees the new tables as the migration left them: empty
            conn.execute("truncate " + ", ".join(tables.named(name).ref for name in sorted(new)))
    return checks, locks


__all__ = ["VerifyOptions", "baseline_clone", "seed_clone", "verify_clone"]
