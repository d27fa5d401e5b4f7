"""`dbagent implement`: the whole pipeline, from a recommendation to a proven implementation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from dbagent import api
from dbagent.cli._common import (JsonOpt, QueriesOpt, SandboxDsnOpt, SchemaFromDsnOpt, SchemaOpt, VerifyOpt,
                                 emit, handles_errors, print_verdict, sandbox_dsn)
from dbagent.cli.dryrun import render_checks
from dbagent.loop import DEFAULT_ITERATIONS, stderr_progress
from dbagent.providers import default_provider_name
from dbagent.result import Result


def _render(result: Result) -> None:
    out = Console(highlight=False, soft_wrap=True)
    for a in result.attempts:
        checks = " ".join(f"{name}={'ok' if ok else 'FAIL'}" for name, ok in a.checks.items())
        out.print(f"iteration {a.iteration}: {a.status} {checks}" + (f" [dim]{escape(a.failure or '')}[/]" if a.failure else ""))
    if result.dry_run is not None:
        render_checks(out, result.dry_run)
    u = result.usage
    out.print(f"usage: {u.requests} request(s), input {u.input_tokens}, output {u.output_tokens}, "
              f"cache write {u.cache_write_tokens}, cache read {u.cache_read_tokens}, ${u.cost_usd:.4f}")
    if result.out_dir:
        out.print(f"run directory: {escape(result.out_dir)}")
    if result.layout:
        out.print(f"project layout: {escape(result.layout)}")
    for f in result.project_files:
        out.print(f"  wrote {escape(f)}")
    print_verdict(out, result, f"after {result.iterations} iteration(s)")


@handles_errors
def implement(
    recommendation: Annotated[Path, typer.Argument(help="The recommendation (markdown, optional YAML front matter).")],
    schema: SchemaOpt = None,
    schema_from_dsn: SchemaFromDsnOpt = None,
    provider: Annotated[Optional[str], typer.Option(help="anthropic[:MODEL] or replay:PATH (default: anthropic with ANTHROPIC_API_KEY, else builtin).")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model id (default: the newest Sonnet the installed SDK knows).")] = None,
    max_iterations: Annotated[int, typer.Option(help="Attempts before giving up.")] = DEFAULT_ITERATIONS,
    out: Annotated[Optional[Path], typer.Option(help="Run directory (default: dbagent-runs/<time>-<name>/).")] = None,
    record: Annotated[Optional[Path], typer.Option(help="Record the conversation for --provider replay:PATH.")] = None,
    project: Annotated[Optional[Path], typer.Option(help="Also write the verified files into this project, in its migration tool's format.")] = None,
    layout: Annotated[str, typer.Option(help="auto, plain, sqitch, dbmate, golang-migrate, flyway, alembic or supabase.")] = "auto",
    sandbox_dsn_opt: SandboxDsnOpt = None,
    allow_weakening: Annotated[bool, typer.Option(help="Accept a result that disables RLS or drops policies the schema had.")] = False,
    verify: VerifyOpt = True,
    queries: QueriesOpt = None,
    json: JsonOpt = False,
) -> None:
    """Implement a recommendation: the model writes it, dbagent proves it (lint, dry-run, rollback)."""
    if provider is None and default_provider_name() == "builtin":
        typer.echo("dbagent: no ANTHROPIC_API_KEY set: using the offline builtin provider", err=True)
    result = api.implement(recommendation, schema=schema, schema_from_dsn=schema_from_dsn, provider=provider,
                           model=model, max_iterations=max_iterations, out=out, record=record,
                           sandbox_dsn=sandbox_dsn(sandbox_dsn_opt), progress=None if json else stderr_progress(),
                           project=project, layout=layout, allow_weakening=allow_weakening,
                           verify=verify, queries=queries)
    emit(result, json, _render)
