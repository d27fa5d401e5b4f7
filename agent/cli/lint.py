"""`dbagent lint` and `dbagent rules`: the static checks, on their own."""

from __future__ import annotations

import sys
from enum import Enum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Optional

import typer

from dbagent import api
from dbagent.cli._common import SchemaOpt, VariablesOpt, handles_errors, parse_variables
from dbagent.lint import load_config, rule_docs
from dbagent.lint._output import render_json, render_rules_markdown, render_sarif, render_text
from dbagent.lint.rules import GROUPS


class Format(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(str, Enum):
    warning = "warning"
    error = "error"


class RulesFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _version() -> str:
    try:
        return version("dbagent")
    except PackageNotFoundError:
        return "0"


@handles_errors
def lint(
    files: Annotated[list[Path], typer.Argument(help="SQL files, checked in order as one migration (x.down.sql files are rollbacks).")],
    schema: SchemaOpt = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when a finding reaches this severity.")] = FailOn.error,
    config: Annotated[Optional[Path], typer.Option(help="pyproject.toml to read [tool.dbagent.lint] from (default: the nearest one).")] = None,
    variable: VariablesOpt = None,
) -> None:
    """Check migrations for lock hazards, transaction mistakes, RLS holes, index problems and sandbox danger."""
    report = api.lint(files, schema=schema, config=load_config(config) if config else None,
                      variables=parse_variables(variable))
    if format is Format.json:
        sys.stdout.write(render_json(report))
    elif format is Format.sarif:
        sys.stdout.write(render_sarif(report, rule_docs(), _version()))
    else:
        sys.stdout.write(render_text(report))
    raise typer.Exit(1 if report.failed(fail_on.value) else 0)


def rules(
    format: Annotated[RulesFormat, typer.Option("--format", "-f", help="Output format.")] = RulesFormat.text,
) -> None:
    """List the lint rule catalogue: id, group, default severity and what each rule catches."""
    docs = rule_docs()
    if format is RulesFormat.markdown:
        sys.stdout.write(render_rules_markdown(docs, GROUPS))
    elif format is RulesFormat.json:
        sys.stdout.write("[\n" + ",\n".join(d.model_dump_json(indent=2) for d in docs) + "\n]\n")
    else:
        width = max(len(d.id) for d in docs)
        for d in docs:
            sys.stdout.write(f"{d.id:<{width}}  {GROUPS[d.group]} {d.group:<12} {d.severity:<7}  {d.description}\n")
