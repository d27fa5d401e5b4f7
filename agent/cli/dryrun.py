"""`dbagent dryrun`: run migration files in the sandbox and prove their rollback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from dbagent import api
from dbagent.cli._common import (JsonOpt, QueriesOpt, RowsOpt, SandboxDsnOpt, SchemaFromDsnOpt, SchemaOpt,
                                 VariablesOpt, VerifyOpt, emit, handles_errors, parse_variables, sandbox_dsn)
from dbagent.result import Result


def render_dry_run(out: Console, result: Result) -> None:
    """Per-statement evidence, catalog changes and the rollback proof."""
    dr = result.dry_run
    assert dr is not None
    out.print(f"sandbox: {dr.server}")
    marks = {"ok": "[green]ok[/]", "ignored": "[dim]--[/]"}
    for s in dr.statements:
        mark = marks.get(s.status, "[red]" + s.status.upper() + "[/]")
        extra = []
        if s.locks:
            extra.append("locks " + ", ".join(f"{l.relation}:{l.mode}" for l in s.locks))
        if s.rewrote:
            extra.append("REWROTE " + ", ".join(s.rewrote))
        tail = f"  [dim]{'; '.join(extra)}[/]" if extra else ""
        out.print(f"{mark} {s.phase:<7} {escape(s.file)}:{s.line}  {escape(s.statement[:90])}  "
                  f"[dim]{s.duration_ms:.1f} ms[/]{tail}")
        if s.status not in ("ok", "ignored"):
            where = f"{s.file}:{s.error_line or s.line}:{s.error_column or s.column}"
            out.print(f"    [red]{escape(where)}: {escape(s.message or '')}[/]"
                      + (f" [dim](SQLSTATE {s.sqlstate})[/]" if s.sqlstate else ""))
    for change in dr.changes:
        out.print(f"  [cyan]{escape(change.describe())}[/]")
    render_checks(out, dr)
    if dr.rollback is not None:
        if dr.rollback.proved:
            out.print("[green]rollback proved[/]: catalog after down equals the catalog before up"
                      + ("; up applies again" if dr.rollback.reapplied else ""))
        else:
            for d in dr.rollback.differences:
                out.print(f"  [red]after rollback: {escape(d.describe())}[/]")


_MARKS = {"passed": "[green]pass[/]", "failed": "[red]FAIL[/]", "warning": "[yellow]warn[/]",
          "skipped": "[dim]skip[/]"}


def render_checks(out: Console, dr) -> None:
    """Synthetic data, the behaviour checks and the lock report's risky entries."""
    if dr.data is not None:
        out.print(f"synthetic data: {sum(dr.data.rows.values())} rows in {len(dr.data.rows)} tables, "
                  f"{len(dr.data.tenants)} tenants")
        for note in dr.data.notes:
            out.print(f"  [yellow]{escape(note)}[/]")
    for c in dr.checks:
        out.print(f"{_MARKS[c.status]} {c.kind:<9} {escape(c.name)}  [dim]{escape(c.evidence)}[/]")
    for e in dr.locks:
        if e.risk == "high":
            out.print(f"  [red]lock high[/] {escape(e.file)}:{e.line} {e.mode} on {escape(e.relation)} blocks "
                      f"{e.blocks}{' (rewrote it)' if e.rewrote else ''}; {escape(e.safe_alternative or '')}")
    if dr.locks:
        risks = {r: sum(1 for e in dr.locks if e.risk == r) for r in ("high", "medium", "low")}
        out.print(f"lock report: {len(dr.locks)} lock(s) on existing tables: "
                  + ", ".join(f"{n} {r} risk" for r, n in risks.items() if n))
    if dr.checks:
        counts = {s: sum(1 for c in dr.checks if c.status == s) for s in _MARKS}
        out.print("checks: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))


def _render(result: Result) -> None:
    out = Console(highlight=False, soft_wrap=True)
    render_dry_run(out, result)
    dr = result.dry_run
    if result.status == "verified":
        out.print(f"[bold green]PASSED[/] {sum(1 for s in dr.statements if s.phase == 'up')} statements applied")
    else:
        out.print(f"[bold red]FAILED[/] {escape(result.failure or '')}")


@handles_errors
def dryrun(
    migrations: Annotated[list[Path], typer.Argument(help="Forward migration files, applied in order.")],
    rollback: Annotated[Optional[list[Path]], typer.Option("--rollback", "-r", help="Rollback files, applied in order after the migration.")] = None,
    schema: SchemaOpt = None,
    schema_from_dsn: SchemaFromDsnOpt = None,
    sandbox_dsn_opt: SandboxDsnOpt = None,
    variable: VariablesOpt = None,
    statement_timeout: Annotated[str, typer.Option(help="statement_timeout for every statement run.")] = "30s",
    lock_timeout: Annotated[str, typer.Option(help="lock_timeout for every statement run.")] = "5s",
    verify: VerifyOpt = True,
    queries: QueriesOpt = None,
    rows: RowsOpt = 200,
    json: JsonOpt = False,
) -> None:
    """Dry-run migrations in a throwaway PostgreSQL: per-statement evidence, catalog diff, rollback proof."""
    result = api.dry_run(migrations, rollback=rollback or [], schema=schema, schema_from_dsn=schema_from_dsn,
                         sandbox_dsn=sandbox_dsn(sandbox_dsn_opt), variables=parse_variables(variable),
                         statement_timeout=statement_timeout, lock_timeout=lock_timeout,
                         verify=verify, queries=queries, rows=rows)
    emit(result, json, _render)
