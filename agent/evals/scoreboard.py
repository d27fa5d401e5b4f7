"""The markdown scoreboard of an eval run, and the comparison of two runs."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from dbagent.errors import UserError
from dbagent.evals.models import EvalRun
from dbagent.inputs import read_text_file


def scoreboard(run: EvalRun) -> str:
    """Per case, per area and overall, as a markdown page."""
    model = f" ({run.model})" if run.model else ""
    lines = [f"# dbagent eval: {run.provider}{model}", "",
             f"**Overall: {run.overall:.0%}** mean check score; {run.passed} of {len(run.cases)} cases fully "
             f"passed; {run.elapsed_s:.0f} s with {run.jobs} job(s).", "",
             "| area | mean score | cases passed |", "|---|---|---|"]
    for area, score in run.by_area.items():
        in_area = [c for c in run.cases if c.area == area]
        lines.append(f"| {area} | {score:.0%} | {sum(c.passed for c in in_area)}/{len(in_area)} |")
    lines += ["", "| case | area | score | outcome | iterations | latency | tokens in/out | cost | first failed check |",
              "|---|---|---|---|---|---|---|---|---|"]
    for c in run.cases:
        failed = next((f"{s.name}: {s.detail}" for s in c.checks if s.status == "failed"), "")
        failed = failed.replace("|", "\\|").replace("\n", " ")[:140]
        lines.append(f"| {c.name} | {c.area} | {c.score:.0%} | {c.outcome} | {c.iterations} | {c.latency_s:.1f} s | "
                     f"{c.input_tokens}/{c.output_tokens} | ${c.cost_usd:.4f} | {failed} |")
    return "\n".join(lines) + "\n"


def load_run(path: Path) -> EvalRun:
    try:
        return EvalRun.model_validate(json.loads(read_text_file(path, "eval results")))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise UserError(f"{path}: not a dbagent eval results.json ({str(exc).splitlines()[0]})") from None


def compare(before: EvalRun, after: EvalRun) -> tuple[list[str], list[str], list[str]]:
    """(regressions, improvements, unchanged-or-new notes), one line per case."""
    old = {c.name: c for c in before.cases}
    regressions, improvements, notes = [], [], []
    for case in after.cases:
        prior = old.pop(case.name, None)
        if prior is None:
            notes.append(f"{case.name}: new case, {case.score:.0%}")
            continue
        line = f"{case.name}: {prior.score:.0%} -> {case.score:.0%} ({prior.outcome} -> {case.outcome})"
        if case.score < prior.score or (prior.passed and not case.passed):
            lost = sorted({s.name for s in prior.checks if s.status == "passed"}
                          - {s.name for s in case.checks if s.status == "passed"})
            regressions.append(line + (f"; now failing: {', '.join(lost)}" if lost else ""))
        elif case.score > prior.score or (case.passed and not prior.passed):
            improvements.append(line)
    notes += [f"{name}: only in the first run" for name in old]
    return regressions, improvements, notes
