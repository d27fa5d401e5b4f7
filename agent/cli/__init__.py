"""The `dbagent` command line: one module per command group, assembled here."""

from __future__ import annotations

import os
import sys

import typer

from dbagent.cli.check import check
from dbagent.cli.dryrun import dryrun
from dbagent.cli.evalcmd import app as eval_app
from dbagent.cli.implement import implement
from dbagent.cli.lint import lint, rules
from dbagent.cli.mcp import mcp

app = typer.Typer(name="dbagent", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="Turn database recommendations into proven PostgreSQL implementations.")
app.command("implement")(implement)
app.command("check")(check)
app.command("dryrun")(dryrun)
app.command("lint")(lint)
app.command("rules")(rules)
app.command("mcp")(mcp)
app.add_typer(eval_app, name="eval")


@app.callback()
def _root() -> None:
    """Turn database recommendations into proven PostgreSQL implementations."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point: exit codes 0 verified, 1 not verified, 2 bad input, 3 infrastructure."""
    try:
        app(args=argv, prog_name="dbagent")  # standalone: usage errors exit 2, commands raise Exit
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("DBAGENT_DEBUG"):
            raise
        sys.stderr.write(f"dbagent: internal error: {exc.__class__.__name__}: {exc} "
                         "(set DBAGENT_DEBUG=1 for the traceback)\n")
        sys.exit(3)
