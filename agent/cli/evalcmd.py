"""`dbagent eval`: score a provider on the eval cases; `dbagent eval compare A.json B.json`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dbagent.cli._common import handles_errors
from dbagent.errors import UserError
from dbagent.evals import CASES_DIR, compare, load_cases, load_run, run_eval, scoreboard, with_cassettes
from dbagent.providers import default_provider_name

app = typer.Typer(name="eval", add_completion=False, pretty_exceptions_enable=False,
                  help="Score a provider on realistic cases, graded by running its output.")


def _cases_dir(option: Path | None) -> Path:
    if option is not None:
        return option
    local = Path("evals/cases")
    return local if local.is_dir() else CASES_DIR


@app.callback(invoke_without_command=True)
@handles_errors
def evaluate(
    ctx: typer.Context,
    provider: Annotated[Optional[str], typer.Option(help="builtin, anthropic[:MODEL] or replay:DIR (one cassette per case); default: anthropic with ANTHROPIC_API_KEY, else builtin.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model for the anthropic provider.")] = None,
    cases: Annotated[str, typer.Option(help="Glob over case names, e.g. 'rls-*'.")] = "*",
    cases_dir: Annotated[Optional[Path], typer.Option(help="Folder of case folders (default: evals/cases).")] = None,
    jobs: Annotated[int, typer.Option(help="Cases run at once; they share one sandbox server.")] = 1,
    out: Annotated[Path, typer.Option(help="Where results.json and scoreboard.md go.")] = Path("eval-results"),
) -> None:
    """Run every case end to end and score it: outcome, probes, required checks, lint, report sections."""
    if ctx.invoked_subcommand is not None:
        return
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a directory")
    name = provider or default_provider_name()
    selected = with_cassettes(load_cases(_cases_dir(cases_dir), cases), name)
    err = Console(stderr=True, highlight=False)
    passing = 0
    with Progress(TextColumn("[bold]eval[/] {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, disable=not err.is_terminal and not os.environ.get("DBAGENT_PROGRESS")) as bar:
        task = bar.add_task(f"{name}: 0 passing", total=len(selected))

        def done(result) -> None:
            nonlocal passing
            passing += result.passed
            bar.update(task, advance=1, description=f"{name}: {passing} passing, last {result.name} {result.score:.0%}")

        run = run_eval(selected, name, model, jobs, on_done=done)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(run.model_dump_json(indent=2) + "\n")
    (out / "scoreboard.md").write_text(scoreboard(run))
    console = Console(highlight=False, soft_wrap=True)
    for c in run.cases:
        console.print(f"{'[green]PASS[/]' if c.passed else '[red]FAIL[/]'} {c.name:<34} {c.score:>5.0%}  {c.outcome}")
    console.print(f"overall {run.overall:.0%}; {run.passed}/{len(run.cases)} cases passed; "
                  f"results in {escape(str(out))}/results.json and scoreboard.md")


@app.command("compare")
@handles_errors
def compare_cmd(
    before: Annotated[Path, typer.Argument(help="results.json of the earlier run.")],
    after: Annotated[Path, typer.Argument(help="results.json of the later run.")],
) -> None:
    """Regressions and improvements per case between two eval runs; exit 1 when anything regressed."""
    a, b = load_run(before), load_run(after)
    regressions, improvements, notes = compare(a, b)
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"overall {a.overall:.0%} -> {b.overall:.0%}")
    for line in regressions:
        console.print(f"[red]regression[/]  {escape(line)}")
    for line in improvements:
        console.print(f"[green]improvement[/] {escape(line)}")
    for line in notes:
        console.print(f"note        {escape(line)}")
    if regressions:
        raise typer.Exit(1)
