"""Objects work: the triggers, functions, views and materialized views a migration created
are exercised on the synthetic data, each in a transaction that is rolled back.

Triggers fire on an UPDATE of one row (an INSERT or DELETE trigger on a delete-and-reinsert
of it); an `updated_at` column must move, and a table that gains a row meanwhile (an audit
trail) must record old and new values. Functions run on sample arguments, views are
selected, materialized views refreshed (concurrently when a unique index allows it).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from dbagent.sandbox.models import VerifyCheck
from dbagent.sandbox.verify._tables import Table, Tables, ident, why

_TRIGGER = """
select t.tgname, t.tgrelid, (t.tgtype & 2) <> 0, (t.tgtype & 4) <> 0, (t.tgtype & 8) <> 0, (t.tgtype & 16) <> 0,
       (t.tgtype & 1) <> 0
  from pg_catalog.pg_trigger t join pg_catalog.pg_class c on c.oid = t.tgrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where pg_catalog.format('%%I.%%I.%%I', n.nspname, c.relname, t.tgname) = %s and not t.tgisinternal
"""
_FUNCTION = """
select p.oid::regprocedure::text, p.prokind::text, p.proretset, pg_catalog.format_type(p.prorettype, null),
       p.pronargs - p.pronargdefaults,
       array(select pg_catalog.format_type(x, null) from unnest(p.proargtypes) x)::text[],
       coalesce(p.proargnames, array[]::text[]), pg_catalog.format('%%I.%%I', n.nspname, p.proname)
  from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
 where pg_catalog.format('%%I.%%I(%%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) = %s
"""
# Errors that mean the code is broken (a missing column, function or setting, a type
# mismatch, no privilege) rather than that it refused our sample input on purpose.
_BROKEN_CLASSES = ("42", "0A", "XX", "2F", "39", "54")


def broken(exc: psycopg.Error) -> bool:
    """True when the error is the code's fault; a RAISE the code wrote itself is not."""
    context = (exc.diag.context or "") if exc.diag else ""
    return (exc.sqlstate or "")[:2] in _BROKEN_CLASSES and "at RAISE" not in context


_UPDATED = ("updated_at", "modified_at", "updated_on", "last_modified")
_SIMPLE_TYPES = {"N", "S", "B", "D"}


@dataclass
class ObjectChecks:
    conn: psycopg.Connection
    tables: Tables
    triggers: list[str]             # qualified names the migration added
    functions: list[str]
    views: list[tuple[str, bool]]   # (name, materialized)
    setting: str
    tenant: str | None

    def run(self) -> list[VerifyCheck]:
        checks = []
        for name in self.triggers:
            checks += self._trigger(name)
        for name in self.functions:
            check = self._function(name)
            if check is not None:
                checks.append(check)
        for name, materialized in self.views:
            checks.append(self._view(name, materialized))
        return checks

    def __post_init__(self) -> None:
        self.user = self._row_id(("users", "app_users", "members", "accounts"))

    def _begin(self) -> None:
        """The session an application would have: its tenant and, when the schema has users, a user."""
        if self.tenant is not None:
            self.conn.execute("select pg_catalog.set_config(%s, %s, true)", [self.setting, self.tenant])
        if self.user is not None:
            self.conn.execute("select pg_catalog.set_config('app.current_user_id', %s, true)", [self.user])

    def _row_id(self, names: tuple[str, ...]) -> str | None:
        """The key of a row of tenant A in the first table so named (e.g. users), as text."""
        for table in self.tables.by_oid.values():
            if table.name in names and len(table.primary_key) == 1:
                where = f" where {ident(self.tables.tenant_key)}::text = %s" if self.tables.has_key(table) \
                    and self.tenant is not None else ""
                with self.conn.transaction(force_rollback=True):
                    if self.tenant is not None:
                        self.conn.execute("select pg_catalog.set_config(%s, %s, true)", [self.setting, self.tenant])
                    row = self.conn.execute(f"select {ident(table.primary_key[0])}::text from {table.ref}{where} "
                                            "limit 1", [self.tenant] if where else []).fetchone()
                if row:
                    return row[0]
        return None

    # ------------------------------------------------------------------ triggers
    def _trigger(self, qname: str) -> list[VerifyCheck]:
        row = self.conn.execute(_TRIGGER, [qname]).fetchone()
        if row is None:
            return []
        name, rel, before, on_insert, on_delete, on_update, per_row = row
        table = self.tables.by_oid.get(rel)
        check = f"trigger {qname} fires"
        if table is None:
            return [VerifyCheck(name=check, kind="object", status="skipped", subject=qname,
                                evidence="on a view or foreign table: not exercised")]
        with self.conn.transaction(force_rollback=True):  # a forced table shows its owner tenant A's rows
            self._begin()
            target = self.conn.execute(f"select ctid::text from {table.ref} limit 1").fetchone()
        if target is None:
            return [VerifyCheck(name=check, kind="object", status="skipped", subject=qname,
                                evidence=f"{table.qname} has no rows to fire it on")]
        if on_update:
            return self._fire_update(qname, table, target[0], before and per_row)
        return [self._fire_reinsert(qname, table, target[0])]

    def _counts(self, tables: list[Table]) -> dict[str, int]:
        return {t.qname: self.conn.execute(f"select count(*) from {t.ref}").fetchone()[0] for t in tables}

    def _fire_update(self, qname: str, table: Table, ctid: str, before_row: bool) -> list[VerifyCheck]:
        check = f"trigger {qname} fires"
        stamp = next((c for c in table.columns if c.name in _UPDATED and c.category == "D"), None)
        column = next((c for c in table.columns if c.category in ("S", "N", "B") and not c.generated
                       and c.name not in table.primary_key and c is not stamp
                       and not any(c.name in fk.columns for fk in table.foreign_keys)
                       and c.name != self.tables.tenant_key), None)
        change = (f"{ident(column.name)} = " + {"S": f"coalesce({ident(column.name)}, '') || ''",
                                                 "N": f"{ident(column.name)}", "B": f"{ident(column.name)}"}
                  [column.category]) if column else (f"{ident(stamp.name)} = {ident(stamp.name)}" if stamp else None)
        if change is None:
            return [VerifyCheck(name=check, kind="object", status="skipped", subject=qname,
                                evidence=f"{table.qname} has no plain column to update")]
        others = [t for t in self.tables.by_oid.values() if t is not table]
        returning = f" returning {ident(stamp.name)}" if stamp else ""
        try:
            with self.conn.transaction(force_rollback=True):
                self._begin()
                old = self.conn.execute(f"select {ident(stamp.name)} from {table.ref} where ctid = %s::tid",
                                        [ctid]).fetchone()[0] if stamp else None
                counts = self._counts(others)
                new = self.conn.execute(f"update {table.ref} set {change} where ctid = %s::tid{returning}",
                                        [ctid]).fetchone()
                grown = {n: c for n, c in self._counts(others).items() if c > counts[n]}
                audit = [self._audit_row(self.tables.named(n)) for n in grown]
        except psycopg.Error as exc:
            return [VerifyCheck(name=check, kind="object", status="failed" if broken(exc) else "warning",
                                subject=qname, evidence=f"UPDATE of one row of {table.qname} raised {why(exc)}")]
        checks = [VerifyCheck(name=check, kind="object", status="passed", subject=qname,
                              evidence=f"UPDATE of one row of {table.qname} succeeded")]
        if stamp and before_row:
            moved = new is not None and old is not None and new[0] > old
            checks.append(VerifyCheck(
                name=f"{table.qname}.{stamp.name} moves on UPDATE", kind="object", subject=qname,
                status="passed" if moved else "failed",
                evidence=f"before {old}, after {new[0] if new else None}" +
                         ("" if moved else ": the trigger does not set it")))
        for table_name, values in zip(grown, audit):
            status = "passed" if values >= 2 else "warning"
            checks.append(VerifyCheck(
                name=f"audit row in {table_name} on UPDATE", kind="object", subject=qname, status=status,
                evidence=f"a row appeared with {values} non-empty json/jsonb value(s)"
                         + ("" if values >= 2 else ": old and new rows are not both recorded")))
        return checks

    def _audit_row(self, table: Table) -> int:
        """How many json/jsonb columns of the newest row (this transaction's) hold a value."""
        json_columns = [c.name for c in table.columns if c.base in ("json", "jsonb", "hstore")]
        if not json_columns:
            return 0
        present = " + ".join(f"({ident(c)} is not null)::int" for c in json_columns)
        row = self.conn.execute(f"select {present} from {table.ref} where xmin = pg_catalog.pg_current_xact_id()::xid "
                                "limit 1").fetchone()
        return row[0] if row else 0

    def _fire_reinsert(self, qname: str, table: Table, ctid: str) -> VerifyCheck:
        check = f"trigger {qname} fires"
        columns = ", ".join(ident(c.name) for c in table.columns if not c.generated)
        try:
            with self.conn.transaction(force_rollback=True):
                self._begin()
                self.conn.execute(f"with d as (delete from {table.ref} where ctid = %s::tid returning *) "
                                  f"insert into {table.ref} ({columns}) overriding system value "
                                  f"select {columns} from d", [ctid])
        except psycopg.Error as exc:
            if exc.sqlstate == "23503":
                return VerifyCheck(name=check, kind="object", status="skipped", subject=qname,
                                   evidence="the row is referenced: delete-and-reinsert not possible")
            return VerifyCheck(name=check, kind="object", status="failed" if broken(exc) else "warning",
                               subject=qname, evidence=f"DELETE and re-INSERT of one row of {table.qname} "
                                                       f"raised {why(exc)}")
        return VerifyCheck(name=check, kind="object", status="passed", subject=qname,
                           evidence=f"DELETE and re-INSERT of one row of {table.qname} succeeded")

    # ------------------------------------------------------------------ functions
    def _function(self, qname: str) -> VerifyCheck | None:
        row = self.conn.execute(_FUNCTION, [qname]).fetchone()
        if row is None:
            return None
        signature, kind, returns_set, returns, required, types, names, callable_name = row
        if returns in ("trigger", "event_trigger") or kind == "a" or kind == "w":
            return None
        check = f"function {qname} runs"
        args = []
        for i, type_ in enumerate(types[:required]):
            sample = self._sample(type_, names[i] if i < len(names) else "")
            if sample is None:
                return VerifyCheck(name=check, kind="object", status="skipped", subject=signature,
                                   evidence=f"no sample value for an argument of type {type_}")
            args.append(sample)
        call = f"{callable_name}({', '.join(args)})"
        statement = f"call {call}" if kind == "p" else \
            f"select count(*) from {call} f" if returns_set else f"select {call}"
        try:
            with self.conn.transaction(force_rollback=True):
                self._begin()
                self.conn.execute("set local statement_timeout = '5s'")
                self.conn.execute(statement)
        except psycopg.Error as exc:
            return VerifyCheck(name=check, kind="object", status="failed" if broken(exc) else "warning",
                               subject=signature, evidence=f"{statement} raised {why(exc)}"
                               + ("" if broken(exc) else " (its own check, or the sample arguments)"))
        return VerifyCheck(name=check, kind="object", status="passed", subject=signature,
                           evidence=f"{statement} ran")

    def _sample(self, type_: str, name: str) -> str | None:
        word = name.lower().removeprefix("p_").removeprefix("in_").removesuffix("_id")
        if word == "tenant" and self.tenant is not None:
            return f"'{self.tenant}'::{type_}"
        if word == "user" and self.user is not None:
            return f"'{self.user}'::{type_}"
        if name.lower().endswith("_id") and (found := self._row_id((word, word + "s", word + "es"))):
            return f"'{found}'::{type_}"
        samples = {"uuid": "gen_random_uuid()", "text": "'a'", "character varying": "'a'", "integer": "1",
                   "bigint": "1", "smallint": "1", "numeric": "1", "boolean": "true", "jsonb": "'{}'::jsonb",
                   "json": "'{}'::json", "timestamp with time zone": "now()", "timestamp without time zone":
                   "localtimestamp", "date": "current_date", "interval": "interval '1 day'", "double precision": "1",
                   "real": "1", "text[]": "array[]::text[]", "uuid[]": "array[]::uuid[]", "integer[]": "array[]::int[]",
                   "bigint[]": "array[]::bigint[]"}
        sample = samples.get(type_)
        return f"{sample}::{type_}" if sample is not None else None

    # ------------------------------------------------------------------ views
    def _view(self, qname: str, materialized: bool) -> VerifyCheck:
        check = f"{'materialized view' if materialized else 'view'} {qname} selects"
        done = []
        try:
            with self.conn.transaction(force_rollback=True):
                self._begin()
                if materialized:
                    self.conn.execute(f"refresh materialized view {qname}")
                    done.append("refreshed")
                    unique = self.conn.execute(
                        "select exists (select 1 from pg_catalog.pg_index where indrelid = %s::regclass "
                        "and indisunique and indpred is null)", [qname]).fetchone()[0]
                    if unique:
                        self.conn.execute(f"refresh materialized view concurrently {qname}")
                        done.append("refreshed concurrently")
                count = self.conn.execute(f"select count(*) from (select * from {qname} limit 1000) v").fetchone()[0]
                done.append(f"{count} row(s) selected")
        except psycopg.Error as exc:
            return VerifyCheck(name=check, kind="object", status="failed", subject=qname,
                               evidence=f"{'; '.join(done + [''])}raised {why(exc)}")
        return VerifyCheck(name=check, kind="object", status="passed", subject=qname, evidence="; ".join(done))

