"""`dbagent check`: the pipeline on an 11-section report that any model or person wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from dbagent import api
from dbagent.cli._common import (JsonOpt, QueriesOpt, RowsOpt, SandboxDsnOpt, SchemaFromDsnOpt, SchemaOpt,
                                 VariablesOpt, VerifyOpt, emit, handles_errors, parse_variables, print_verdict,
                                 sandbox_dsn)
from dbagent.cli.dryrun import render_dry_run
from dbagent.result import Result


def _render(result: Result) -> None:
    out = Console(highlight=False, soft_wrap=True)
    if result.classification:
        out.print(f"classification: {result.classification}")
    for p in result.report_problems:
        where = f"section {p.section}" + (f", line {p.line}" if p.line else "") if p.section else "report"
        out.print(f"[red]{escape(where)}[/]: {escape(p.message)}")
    for f in result.files:
        out.print(f"  {f.role:<20} {escape(f.path)}")
    for f in result.lint:
        color = {"error": "red", "warning": "yellow"}.get(f.severity, "dim")
        out.print(f"[{color}]{escape(f.file)}:{f.line}:{f.column}: {f.severity} {f.rule}[/]: {escape(f.message)}")
    if result.dry_run is not None:
        render_dry_run(out, result)
    print_verdict(out, result, "parsed, linted, applied, rolled back and re-applied")


@handles_errors
def check(
    report: Annotated[Path, typer.Argument(help="An 11-section report (markdown) written by any model or person.")],
    schema: SchemaOpt = None,
    schema_from_dsn: SchemaFromDsnOpt = None,
    sandbox_dsn_opt: SandboxDsnOpt = None,
    variable: VariablesOpt = None,
    allow_weakening: Annotated[bool, typer.Option(help="Accept a result that disables RLS or drops policies the schema had.")] = False,
    verify: VerifyOpt = True,
    queries: QueriesOpt = None,
    rows: RowsOpt = 200,
    json: JsonOpt = False,
) -> None:
    """Check a report: parse its 11 sections, lint its SQL, dry-run it with rollback proof (needs a schema)."""
    result = api.check(report, schema=schema, schema_from_dsn=schema_from_dsn,
                       sandbox_dsn=sandbox_dsn(sandbox_dsn_opt), variables=parse_variables(variable), allow_weakening=allow_weakening,
                       verify=verify, queries=queries, rows=rows)
    emit(result, json, _render)
