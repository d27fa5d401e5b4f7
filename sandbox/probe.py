"""Probes: apply a migration to a fresh clone, then ask it questions as given roles.

Used to grade a candidate implementation by execution: each probe runs in its own
transaction, rolled back, as the migrator after `SET ROLE` (never the superuser), with
the given settings; EXPLAIN probes plan with sequential scans disabled and say which
indexes the plan reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import psycopg

from dbagent.errors import SandboxError
from dbagent.sandbox._sandbox import Sandbox
from dbagent.sandbox.dryrun import DryRun, Script, StepFailed, apply_up, clone, release
from dbagent.sandbox._schema import load_schema
from dbagent.sandbox.models import DryRunResult
from dbagent.sandbox.verify._indexes import index_scans


@dataclass(frozen=True)
class Probe:
    sql: str
    role: str | None = None
    settings: tuple[tuple[str, str], ...] = ()
    explain: bool = False


@dataclass
class ProbeOutcome:
    rows: list[tuple] = field(default_factory=list)
    sqlstate: str | None = None
    message: str | None = None
    indexes: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)  # each index node's Index Cond / Recheck Cond


def _ask(sandbox: Sandbox, conn: psycopg.Connection, probe: Probe) -> ProbeOutcome:
    out = ProbeOutcome()
    if probe.role and not sandbox.allow_set_role(probe.role):
        out.sqlstate, out.message = "42501", f"role {probe.role} does not exist or is privileged"
        return out
    try:
        with conn.transaction(force_rollback=True):
            if probe.role:
                conn.execute(psycopg.sql.SQL("set local role {}").format(psycopg.sql.Identifier(probe.role)))
            for name, value in probe.settings:
                conn.execute("select pg_catalog.set_config(%s, %s, true)", [name, value])
            if probe.explain:
                conn.execute("set local enable_seqscan = off")
                options = "format json, generic_plan" if "$1" in probe.sql else "format json"
                plan = conn.execute(f"explain ({options}) {probe.sql}".encode()).fetchone()[0]
                plan = plan if isinstance(plan, list) else json.loads(plan)
                nodes = index_scans(plan[0]["Plan"])
                out.indexes = [name for name, _ in nodes]
                out.conditions = [cond for _, cond in nodes]
            else:
                cur = conn.execute(probe.sql.encode())
                out.rows = cur.fetchall() if cur.description is not None else []
    except psycopg.Error as exc:
        if conn.broken:
            raise
        out.sqlstate = exc.sqlstate
        out.message = (exc.diag.message_primary if exc.diag else None) or str(exc).strip().splitlines()[0]
    return out


def apply_and_probe(sandbox: Sandbox, schema: Script, up: list[Script],
                    probes: list[Probe]) -> tuple[str | None, list[ProbeOutcome]]:
    """Apply `up` to a fresh clone of `schema` and run every probe; (apply failure or None, outcomes).
    The clone is dropped afterwards."""
    sandbox.begin_run()
    run = DryRun(sandbox, "", list(up), [], {}, DryRunResult(passed=False, server=sandbox.description))
    try:
        run.template = load_schema(sandbox, schema.text, schema.name, schema.path)
        clone(run)
        run.existing = {}
        try:
            apply_up(run)
        except StepFailed as exc:
            return str(exc), [ProbeOutcome(sqlstate="apply", message=str(exc)) for _ in probes]
        with sandbox.connect(run.db) as conn:
            return None, [_ask(sandbox, conn, p) for p in probes]
    except psycopg.OperationalError as exc:
        raise SandboxError(f"sandbox: lost the server while probing ({str(exc).strip()[:120]})") from None
    finally:
        release(run)
