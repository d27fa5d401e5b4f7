"""The lock report: for each statement that locked a table existing before the migration,
the lock, what it blocks, whether it rewrote the table, how big the table is, and the risk.

Sizes come from the source database when the schema was read from one (`--schema-from-dsn`),
otherwise from the clone (the schema's own rows plus the synthetic ones). A rewrite, or a
full scan under a lock that blocks writes, on a large table is a failed check naming the
safe pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pglast import ast, parse_sql
from pglast.enums import AlterTableType, ConstrType

from dbagent.sandbox.models import LockEntry, StatementOutcome, VerifyCheck

_STRENGTH = ["ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE",
             "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"]
_BLOCKS = {"ACCESS EXCLUSIVE": "reads and writes", "EXCLUSIVE": "writes", "SHARE ROW EXCLUSIVE": "writes",
           "SHARE": "writes"}
_ALTERNATIVES = {
    "index": "CREATE INDEX CONCURRENTLY in a file of its own (no transaction)",
    "constraint": "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
    "unique": "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX",
    "not null": "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (no scan)",
    "type": "add a new column, backfill it in batches, then switch reads and drop the old one",
    "rewrite": "add the column without a volatile default and backfill it in batches",
    "brief": "SET lock_timeout first so the change waits briefly and can be retried",
}



def _mode(mode: str) -> str:
    """pg_locks' AccessExclusiveLock as the documentation names it: ACCESS EXCLUSIVE."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", mode.removesuffix("Lock")).upper()


def _scan_kind(statement: str) -> str | None:
    """Which full-table scan (or build) the statement does while holding its lock, if any."""
    try:
        stmt = parse_sql(statement)[0].stmt
    except Exception:  # noqa: BLE001 - the statement ran, so PostgreSQL parsed it; pglast may be older
        return None
    if isinstance(stmt, ast.IndexStmt):
        return None if stmt.concurrent else "index"
    if isinstance(stmt, ast.AlterTableStmt):
        for cmd in stmt.cmds or ():
            if cmd.subtype == AlterTableType.AT_SetNotNull:
                return "not null"
            if cmd.subtype == AlterTableType.AT_AlterColumnType:
                return "type"
            if cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
                c = cmd.def_
                if c.contype in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY) and not c.indexname:
                    return "unique"
                if c.contype in (ConstrType.CONSTR_CHECK, ConstrType.CONSTR_FOREIGN) and not c.skip_validation:
                    return "constraint"
    return None


@dataclass
class LockReport:
    statements: list[StatementOutcome]
    sizes: dict[str, tuple[float, int]]      # relation -> (rows, bytes)
    from_source: bool
    large_rows: float = 100_000
    large_bytes: int = 256 * 1024 * 1024

    def run(self) -> tuple[list[LockEntry], list[VerifyCheck]]:
        entries: list[LockEntry] = []
        held: set[tuple[str, str]] = set()   # taken earlier in the same transaction: held till its end
        previous_file = None
        for s in self.statements:
            if s.phase != "up" or s.status != "ok":
                continue
            if not s.in_transaction or s.file != previous_file:
                held = set()
            previous_file = s.file
            taken = [lock for lock in s.locks if (lock.relation, lock.mode) not in held]
            held |= {(lock.relation, lock.mode) for lock in s.locks}
            if not (taken or s.rewrote):
                continue
            strongest: dict[str, str] = {}
            for lock in taken:
                mode = _mode(lock.mode)
                if _STRENGTH.index(mode) >= _STRENGTH.index(strongest.get(lock.relation, "ACCESS SHARE")):
                    strongest[lock.relation] = mode
            for relation in s.rewrote:
                strongest.setdefault(relation, "ACCESS EXCLUSIVE")
            for relation, mode in sorted(strongest.items()):
                entries.append(self._entry(s, relation, mode))
        checks = [VerifyCheck(name=f"{e.file}:{e.line} {e.mode} on {e.relation}", kind="lock",
                              status="failed" if e.risk == "high" else "warning", subject=e.relation,
                              evidence=f"{'rewrites' if e.rewrote else 'locks'} a large table "
                                       f"({_size(e)}) and blocks {e.blocks}; safe pattern: {e.safe_alternative}"
                              if e.risk == "high" else f"blocks {e.blocks} on a large table ({_size(e)}); "
                                                       f"{e.safe_alternative}")
                  for e in entries if e.risk == "high" or (e.risk == "medium" and self._large(e))]
        return entries, checks

    def _large(self, e: LockEntry) -> bool:
        return (e.rows or 0) >= self.large_rows or (e.bytes or 0) >= self.large_bytes

    def _entry(self, s: StatementOutcome, relation: str, mode: str) -> LockEntry:
        rows, size = self.sizes.get(relation, (None, None))
        rewrote = relation in s.rewrote
        blocks = _BLOCKS.get(mode, "nothing")
        scan = _scan_kind(s.statement) if blocks != "nothing" else None
        entry = LockEntry(file=s.file, line=s.line, statement=s.statement, relation=relation, mode=mode,
                          blocks=blocks, rewrote=rewrote, rows=rows, bytes=size,
                          size_source="source" if self.from_source else "sandbox", risk="low")
        large = self._large(entry)
        if rewrote or scan:
            entry.risk = "high" if large else "medium"
            entry.safe_alternative = _ALTERNATIVES[scan or "rewrite"]
        elif mode == "ACCESS EXCLUSIVE":
            entry.risk = "medium"
            entry.safe_alternative = _ALTERNATIVES["brief"]
        return entry


def _size(e: LockEntry) -> str:
    rows = f"~{int(e.rows):,} rows" if e.rows is not None else "rows unknown"
    size = f", {e.bytes / 1048576:.1f} MB" if e.bytes is not None else ""
    return f"{rows}{size}, from the {'source database' if e.size_source == 'source' else 'sandbox'}"
