"""What every command shares: error translation, output of a Result, common options."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from dbagent.errors import DbagentError
from dbagent.result import Result

SANDBOX_DSN_HELP = "Use this existing throwaway server instead of the embedded one (env: DBAGENT_SANDBOX_DSN)."

# Options several commands share, declared once.
SchemaOpt = Annotated[Optional[Path], typer.Option(
    "--schema", help="The schema to start from: plain DDL or pg_dump --schema-only output.")]
SchemaFromDsnOpt = Annotated[Optional[str], typer.Option(
    "--schema-from-dsn", help="Dump the starting schema from this database, read-only.")]
SandboxDsnOpt = Annotated[Optional[str], typer.Option("--sandbox-dsn", help=SANDBOX_DSN_HELP)]
VariablesOpt = Annotated[Optional[list[str]], typer.Option("--variable", "-v", help="psql variable NAME=VALUE.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print only the Result as JSON on stdout.")]
VerifyOpt = Annotated[bool, typer.Option(
    "--verify/--no-verify", help="Fill the clone with synthetic rows and prove behaviour: tenant isolation, "
                                 "index use, locks, triggers/functions/views (default: on).")]
QueriesOpt = Annotated[Optional[Path], typer.Option(
    "--queries", help="SQL file of the queries the change must serve (EXPLAIN checks); "
                      "by default the recommendation's.")]
RowsOpt = Annotated[int, typer.Option("--rows", help="Synthetic rows per table for verification.")]


def fail(message: str, code: int) -> typer.Exit:
    """Print one line on stderr and return the Exit to raise."""
    typer.echo(f"dbagent: error: {message}", err=True)
    return typer.Exit(code)


def handles_errors(func: Callable) -> Callable:
    """Turn dbagent's errors into one stderr line and the documented exit code."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DbagentError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
    return wrapper


def parse_variables(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise fail(f"-v expects NAME=VALUE, got {pair!r}", 2)
        out[name] = value
    return out


def sandbox_dsn(option: str | None) -> str | None:
    return option or os.environ.get("DBAGENT_SANDBOX_DSN") or None


def print_verdict(out, result: Result, verified: str) -> None:
    """The last line of a text rendering: what was proven, or why not."""
    from rich.markup import escape

    if result.status == "verified":
        out.print(f"[bold green]VERIFIED[/] {verified}" if verified else "[bold green]VERIFIED[/]")
    else:
        out.print(f"[bold red]{result.status.upper()}[/] {escape(result.failure or '')}")


def emit(result: Result, as_json: bool, render_text: Callable[[Result], None]) -> None:
    """Print the result (exactly one JSON document on stdout with --json) and exit with its code."""
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        sys.stdout.flush()
    else:
        render_text(result)
    raise typer.Exit(result.exit_code)
