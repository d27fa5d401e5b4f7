"""Cross-tenant sharing (B2B): what a relationship table in the schema allows.

A policy that reads another table holding two tenant columns (buyer and supplier, grantor
and grantee, ...) shares rows between tenants. Which rows it may share is read from that
table by its usual columns: a status of active/approved/accepted, a validity window
(valid_from ... valid_until, starts_at ... expires_at), no revocation time, an `active`
flag. Either column may be the viewer; the check accepts rows of any tenant with an active
link to the viewer and nothing else, and after every link expires, nothing but its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from dbagent.sandbox.verify._tables import Table, Tables, ident
from dbagent.sandbox.verify._values import read_checks

_ACTIVE = ("active", "approved", "accepted", "enabled", "granted")
_STARTS = ("valid_from", "starts_at", "start_date", "effective_from", "start_at", "valid_since")
_ENDS = ("valid_until", "valid_to", "expires_at", "ends_at", "end_date", "expiry", "expires_on", "end_at")
_REVOKED = ("revoked_at", "terminated_at", "deleted_at", "cancelled_at", "canceled_at")


@dataclass
class Relationship:
    table: Table
    columns: tuple[str, str]
    active: str                 # predicate on alias r
    endings: dict[str, list[str]]  # "expiry" / "revocation" -> statements that end every link that way
    how: str                    # in words, for evidence


def find(tables: Tables, names: set[str]) -> Relationship | None:
    """The relationship table among the tables a policy reads, when one is recognisable."""
    root = tables.tenant_root()
    for table in tables.by_oid.values():
        if table.name not in names:
            continue
        linked = [fk.columns[0] for fk in table.foreign_keys
                  if len(fk.columns) == 1 and root is not None and fk.parent_oid == root.oid]
        linked += [c.name for c in table.columns if c.name.endswith("tenant_id") and c.name not in linked]
        if len(linked) != 2:
            continue
        return _describe(table, (linked[0], linked[1]))
    return None


def _describe(table: Table, columns: tuple[str, str]) -> Relationship:
    conditions, expire, revoke, words = [], [], [], []
    for col in table.columns:
        name, ref = col.name, f"r.{ident(col.name)}"
        if name in ("status", "state") and col.category in ("S", "E"):
            listed = ", ".join(f"'{v}'" for v in _ACTIVE)
            conditions.append(f"lower({ref}::text) in ({listed})")
            revoke.append(f"update {table.ref} set {ident(name)} = ({_inactive(table, col)})::{col.type}")
            words.append(f"{name} active")
        elif name in _STARTS and col.category == "D":
            conditions.append(f"({ref} is null or {ref} <= now())")
            words.append(f"{name} passed")
        elif name in _ENDS and col.category == "D":
            conditions.append(f"({ref} is null or {ref} > now())")
            expire.append(f"update {table.ref} set {ident(name)} = now() - interval '1 day'")
            words.append(f"{name} not reached")
        elif name in _REVOKED and col.category == "D":
            conditions.append(f"{ref} is null")
            revoke.append(f"update {table.ref} set {ident(name)} = now() - interval '1 day'")
            words.append(f"{name} empty")
        elif name in ("active", "is_active", "enabled") and col.category == "B":
            conditions.append(f"{ref}")
            revoke.append(f"update {table.ref} set {ident(name)} = false")
            words.append(f"{name} true")
    endings = {k: v for k, v in (("expiry", expire), ("revocation", revoke)) if v} or \
        {"removal": [f"delete from {table.ref}"]}
    return Relationship(table, columns, " and ".join(conditions) or "true", endings,
                        f"{table.qname} ({' / '.join(columns)}" + (f"; {', '.join(words)})" if words else ")"))


def _inactive(table: Table, col) -> str:
    """A status value that is not active: from the enum's labels or the CHECK's list, else 'revoked'."""
    labels = col.labels or read_checks(table).allowed.get(col.name) or []
    others = [v for v in labels if v.lower() not in _ACTIVE]
    return "'" + (others[-1] if others else "revoked").replace("'", "''") + "'"


def granted(admin: psycopg.Connection, rel: Relationship, tenant: str) -> set[str]:
    """Tenants with an active link to `tenant`, in either direction."""
    a, b = (ident(c) for c in rel.columns)
    rows = admin.execute(f"select r.{a}::text, r.{b}::text from {rel.table.ref} r where {rel.active} "
                         f"and (r.{a}::text = %s or r.{b}::text = %s)", [tenant, tenant]).fetchall()
    return {x for pair in rows for x in pair} - {tenant}


def end_all(conn: psycopg.Connection, rel: Relationship, how: str) -> str:
    """Inside the caller's transaction: every link ends `how` (expiry, revocation), as the table's
    owner; when the table's own checks refuse that (e.g. valid_until after valid_from), the links
    are deleted instead. Returns what was done."""
    if rel.table.forced:
        conn.execute(f"alter table {rel.table.ref} no force row level security")
    try:
        with conn.transaction():
            for statement in rel.endings[how]:
                conn.execute(statement)
        return "; ".join(rel.endings[how])
    except psycopg.errors.IntegrityError:
        pass
    try:
        with conn.transaction():
            conn.execute(f"delete from {rel.table.ref}")
        return f"{how} refused by the table's constraints, so every link was deleted"
    except psycopg.errors.IntegrityError as exc:
        raise LinksStay(f"the links could not be ended ({exc.sqlstate}: rows elsewhere reference them)") from None


class LinksStay(Exception):
    """Neither ending nor deleting the links is possible in the clone: the check cannot run."""
