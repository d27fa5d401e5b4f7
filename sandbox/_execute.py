"""Run one psql script on one connection, statement by statement, keeping the evidence.

The file's own BEGIN/COMMIT go to the server as written (the connection is in autocommit
mode, as psql is). A statement outside any block runs in a transaction we open and close
around it, so its locks can be read from pg_locks before they are released; statements
PostgreSQL refuses inside a block (CONCURRENTLY, VACUUM, ...) run bare, as psql would.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import psycopg
from psycopg.pq import TransactionStatus

from dbagent.sandbox._psql import LineIndex, PsqlInterpreter, ScriptError, SqlUnit, StopScript
from dbagent.sandbox._statements import cannot_run_in_block, classify
from dbagent.sandbox.models import LockTaken, StatementOutcome

_LOCKS = """
select l.relation::oid, l.mode
  from pg_catalog.pg_locks l
 where l.pid = %s and l.locktype = 'relation' and l.granted
   and l.relation = any(%s)
"""
_FILENODES = "select c.oid, pg_catalog.pg_relation_filenode(c.oid) from pg_catalog.pg_class c where c.oid = any(%s)"
_PRE_EXISTING = """
select c.oid, pg_catalog.format('%I.%I', n.nspname, c.relname)
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p', 'm', 'v', 'f', 'S')
   and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
"""


class _LockSampler:
    """Polls pg_locks from a second session while a bare statement runs.

    CONCURRENTLY builds and VACUUM run in transactions of their own, which end before any
    query on the migrator's session could look; sampling is the only view of their locks.
    """

    def __init__(self, monitor: Callable[[], psycopg.Connection], pid: int, oids: list[int]) -> None:
        self.monitor, self.pid, self.oids = monitor, pid, oids
        self.seen: set[tuple[int, str]] = set()
        self._done = threading.Event()
        self._polling = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        try:
            while not self._done.is_set():
                self.seen.update(self._conn.execute(_LOCKS, [self.pid, self.oids]).fetchall())
                self._polling.set()
        except Exception:  # noqa: BLE001 - evidence is best effort; the statement's outcome is not
            pass

    def __enter__(self) -> "_LockSampler":
        self._conn = self.monitor()  # connected before the statement starts, not during it
        self._thread.start()
        self._polling.wait(timeout=1)
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        self._conn.close()


def pre_existing_relations(conn: psycopg.Connection) -> dict[int, str]:
    """OID -> qualified name of every user relation now in the database."""
    return dict(conn.execute(_PRE_EXISTING).fetchall())


def _squash(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text if len(text) <= 240 else text[:237] + "..."


@dataclass
class ScriptRun:
    """Result of running one script: outcomes in order, and whether it completed."""

    outcomes: list[StatementOutcome] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    ok: bool = True
    failure: str | None = None


class _Runner:
    def __init__(self, conn: psycopg.Connection, phase: str, existing: dict[int, str],
                 run: ScriptRun, privileged: Callable[[str], str | None] | None,
                 monitor: Callable[[], psycopg.Connection] | None) -> None:
        self.conn, self.phase, self.existing, self.run = conn, phase, existing, run
        self.oids = list(existing)
        self.filenodes = dict(conn.execute(_FILENODES, [self.oids]).fetchall()) if self.oids else {}
        self.privileged = privileged
        self.monitor = monitor
        self.notices: list[str] = []
        conn.add_notice_handler(lambda d: self.notices.append(d.message_primary or ""))

    def __call__(self, unit: SqlUnit, lines: LineIndex) -> tuple[list[str], list[tuple]] | None:
        where = unit.origin(None, lines)
        info = classify(unit.sql)
        out = StatementOutcome(phase=self.phase, file=where.file, line=where.line, column=where.column,
                               statement=_squash(unit.sql), status="ok")
        self.notices.clear()
        status = self.conn.info.transaction_status
        wrap = status == TransactionStatus.IDLE and not info.transaction_control and not cannot_run_in_block(info)
        out.in_transaction = status == TransactionStatus.INTRANS or wrap
        sample = not out.in_transaction and not info.transaction_control
        if sample:
            out.lock_capture = "sampled" if self.monitor and self.oids else "none"
        started = time.perf_counter()
        result = None
        try:
            note = self.privileged(unit.sql) if self.privileged is not None else None
            if note:
                out.notices.append(note)
            else:
                if wrap:
                    self.conn.execute("BEGIN")
                if sample and out.lock_capture == "sampled":
                    with _LockSampler(self.monitor, self.conn.info.backend_pid, self.oids) as sampler:
                        cur = self.conn.execute(unit.sql.encode())
                    out.locks = [LockTaken(relation=rel, mode=mode) for rel, mode in
                                 sorted({(self.existing[oid], mode) for oid, mode in sampler.seen})]
                else:
                    cur = self.conn.execute(unit.sql.encode())
                if cur.description is not None:
                    result = ([c.name for c in cur.description], cur.fetchall())
                if out.in_transaction and self.oids and \
                        self.conn.info.transaction_status == TransactionStatus.INTRANS:
                    self._evidence(out)
                if wrap:
                    self.conn.execute("COMMIT")
        except psycopg.Error as exc:
            if self.conn.broken:  # the server went away: an infrastructure failure, not the SQL's
                raise
            out.duration_ms = round((time.perf_counter() - started) * 1000, 3)
            self._error(out, exc, unit, lines)
            if wrap and self.conn.info.transaction_status != TransactionStatus.IDLE:
                self.conn.execute("ROLLBACK")
            self.run.outcomes.append(out)
            self.run.ok = False
            self.run.failure = (f"{out.file}:{out.error_line or out.line}:{out.error_column or out.column}: "
                                f"{out.message} (SQLSTATE {out.sqlstate})")
            raise StopScript from None
        out.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        out.notices += [n for n in self.notices if n]
        self.run.outcomes.append(out)
        return result

    def _evidence(self, out: StatementOutcome) -> None:
        rows = self.conn.execute(_LOCKS, [self.conn.info.backend_pid, self.oids]).fetchall()
        out.locks = [LockTaken(relation=rel, mode=mode)
                     for rel, mode in sorted({(self.existing[oid], mode) for oid, mode in rows})]
        nodes = dict(self.conn.execute(_FILENODES, [self.oids]).fetchall())
        out.rewrote = sorted(self.existing[oid] for oid, node in nodes.items()
                             if node is not None and self.filenodes.get(oid) not in (None, node))
        self.filenodes.update(nodes)

    def _error(self, out: StatementOutcome, exc: psycopg.Error, unit: SqlUnit, lines: LineIndex) -> None:
        out.status = "error"
        out.sqlstate = exc.sqlstate or ("08006" if isinstance(exc, psycopg.OperationalError) else None)
        diag = exc.diag
        out.message = (diag.message_primary or str(exc).strip().splitlines()[0]) if diag else str(exc)
        if diag and diag.context:
            out.notices.append(diag.context.strip().splitlines()[0])
        position = int(diag.statement_position) if diag and diag.statement_position else None
        at = unit.origin(position, lines) if position else None
        if at:
            out.error_line, out.error_column = at.line, at.column


def run_script(conn: psycopg.Connection, text: str, file: str, *, phase: str,
               existing: dict[int, str], path: Path | None = None,
               variables: dict[str, str] | None = None,
               privileged: Callable[[str], str | None] | None = None,
               monitor: Callable[[], psycopg.Connection] | None = None) -> ScriptRun:
    """Interpret `text` as a psql script on `conn`; stop at the first failure, as ON_ERROR_STOP does."""
    run = ScriptRun()
    runner = _Runner(conn, phase, existing, run, privileged, monitor)

    def on_meta(ev) -> None:
        run.outcomes.append(StatementOutcome(phase=phase, file=ev.location.file, line=ev.location.line,
                                             column=ev.location.column, kind="meta", statement=ev.command,
                                             status="ok" if ev.status == "ok" else "ignored",
                                             message=ev.message or None, lock_capture="none"))

    interp = PsqlInterpreter(runner, variables, include_root=path.parent if path else None, on_meta=on_meta)
    try:
        interp.run(text, file, path)
    except StopScript:
        pass
    except ScriptError as exc:
        status = {"refused": "refused", "failed": "error"}.get(exc.kind, "unsupported")
        run.outcomes.append(StatementOutcome(phase=phase, file=exc.location.file, line=exc.location.line,
                                             column=exc.location.column, kind="meta",
                                             statement=_squash(str(exc)), status=status, message=str(exc)))
        run.ok = False
        run.failure = f"{exc.location.file}:{exc.location.line}: {exc}"
    run.output = interp.output
    if run.ok and conn.info.transaction_status != TransactionStatus.IDLE:
        conn.execute("ROLLBACK")
        run.ok = False
        run.failure = f"{file}: ends inside a transaction block (BEGIN without COMMIT); PostgreSQL rolls it back"
    return run
