"""The agent loop: recommendation -> model -> report -> lint -> sandbox -> repair, until proven.

    PREPARE = (open_sandbox, read_schema, build_conversation)
    each iteration: generate, then the check STEPS (parse, order, lint, dry-run), then a repair
    turn carrying precisely what failed and what passed, until verified, out of iterations,
    or out of time.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from dbagent.checking import Check, run_check
from dbagent.errors import UserError
from dbagent.injection import scan
from dbagent.lint import LintConfig, rule_docs
from dbagent.prompts import render
from dbagent.providers import Conversation, Provider
from dbagent.report.models import SECTION_TITLES
from dbagent.result import Attempt, Result, Usage
from dbagent.sandbox import Limits, Script, Sandbox, VerifyOptions, get_sandbox, load_schema
from dbagent.sandbox.inspect import CloneInspector
from dbagent.tools import TOOLS, ToolBox
from dbagent.trace import Trace

DEFAULT_ITERATIONS = 3
DEFAULT_BUDGET_S = 1800.0
CACHE = {"type": "ephemeral"}


@dataclass
class Loop:
    """One implement run: inputs, the conversation, every attempt, and the Result."""

    recommendation: str
    schema: Script
    provider: Provider
    trace: Trace
    max_iterations: int = DEFAULT_ITERATIONS
    budget_s: float = DEFAULT_BUDGET_S
    sandbox_dsn: str | None = None
    lint_config: LintConfig = field(default_factory=LintConfig)
    limits: Limits = field(default_factory=Limits)
    progress: Callable[[str], None] | None = None
    allow_weakening: bool = False
    verify: VerifyOptions | None = None
    sandbox: Sandbox | None = None
    clone: str | None = None
    tools: ToolBox | None = None
    conversation: Conversation | None = None
    last_text: str = ""
    result: Result | None = None
    started: float = field(default_factory=time.monotonic)

    def say(self, stage: str, iteration: int = 0) -> None:
        if self.progress:
            used = self.result.usage if self.result else Usage()
            self.progress(f"[{time.monotonic() - self.started:6.1f}s] {stage}"
                          + (f" (iteration {iteration}/{self.max_iterations})" if iteration else "")
                          + f" tokens in {used.input_tokens + used.cache_read_tokens} out {used.output_tokens}")


def open_sandbox(run: Loop) -> None:
    """The sandbox server and a clone of the schema for the model's tools."""
    run.sandbox = get_sandbox(run.sandbox_dsn)
    template = load_schema(run.sandbox, run.schema.text, run.schema.name, run.schema.path)
    run.clone = run.sandbox.take_clone(template)


def read_schema(run: Loop) -> None:
    """A compact summary of the schema, read from the clone's catalog."""
    inspector = CloneInspector(run.sandbox, run.clone)
    run.tools = ToolBox(inspector, run.schema.text, run.lint_config)


def build_conversation(run: Loop) -> None:
    """System prompt and schema context marked for caching; the recommendation as data."""
    version = run.sandbox.description.split("PostgreSQL", 1)[-1].strip()
    system = render("system.md.j2", pg_version=version, tenant_key=run.lint_config.tenant_key,
                    tenant_setting=run.lint_config.tenant_setting, sections=list(SECTION_TITLES.items()))
    context = render("context.md.j2", pg_version=version, summary=run.tools.inspector.summary(),
                     rules=rule_docs())
    user = render("user.md.j2", recommendation=run.recommendation)
    tools = [dict(t) for t in TOOLS]
    tools[-1] = {**tools[-1], "cache_control": CACHE}
    run.conversation = Conversation(
        system=[{"type": "text", "text": system, "cache_control": CACHE}],
        messages=[{"role": "user", "content": [{"type": "text", "text": context, "cache_control": CACHE},
                                               {"type": "text", "text": user}]}],
        tools=tools)


PREPARE = (open_sandbox, read_schema, build_conversation)


def _repair(attempt: Attempt, result: Result) -> str:
    dr = result.dry_run
    passed = [name for name, ok in attempt.checks.items() if ok]
    failed = [s for s in (dr.statements if dr else []) if s.status not in ("ok", "ignored")]
    differences = [d.describe() for d in (dr.rollback.differences if dr and dr.rollback else [])]
    return render("repair.md.j2", iteration=attempt.iteration, passed=passed,
                  problems=[str(p) for p in result.report_problems],
                  lint=[f for f in result.lint if f.severity == "error"], failed_statements=failed,
                  rollback_differences=differences, failure=result.failure,
                  failed_checks=[c for c in (dr.checks if dr else []) if c.status == "failed"])


def _checks(result: Result) -> dict[str, bool]:
    dr = result.dry_run
    return {"parsed": not result.report_problems,
            "lint_clean": not result.report_problems and not any(f.severity == "error" for f in result.lint),
            "dry_run": bool(dr and all(s.status in ("ok", "ignored") for s in dr.statements) and dr.statements),
            "rollback_proved": bool(dr and dr.rollback and dr.rollback.proved),
            "behaviour_verified": bool(dr and dr.data is not None and dr.rollback and dr.rollback.proved
                                       and not any(c.status == "failed" for c in dr.checks))}


def iterate(run: Loop) -> None:
    """Generate, check, repair: until verified, out of iterations, or out of time."""
    run.result = Result(command="implement", status="failed", failure="not started",
                        provider=run.provider.name, model=run.provider.model, warnings=scan(run.recommendation))
    for iteration in range(1, run.max_iterations + 1):
        if time.monotonic() - run.started > run.budget_s:
            run.result.warnings.append(f"stopped before iteration {iteration}: the {run.budget_s:.0f} s budget is spent")
            if not run.result.attempts:
                run.result.failure = run.result.warnings[-1]
            break
        run.say("generating", iteration)
        calls_before = run.tools.calls
        turn = run.provider.turn(run.conversation, run.tools.run, run.trace)
        run.result.usage = run.result.usage + turn.usage
        if turn.refusal:
            run.result.status, run.result.failure = "refused", turn.refusal
            run.result.attempts.append(Attempt(iteration=iteration, status="refused", failure=turn.refusal,
                                               usage=turn.usage))
            run.result.iterations = iteration
            break
        if iteration > 1 and turn.text == run.last_text and getattr(run.provider, "deterministic", False):
            run.result.warnings.append(f"iteration {iteration}: {run.provider.name} cannot repair its answer; stopped")
            break
        run.last_text = turn.text
        run.say("checking", iteration)
        checked = run_check(Check(turn.text, run.schema, run.sandbox_dsn, run.lint_config, {}, run.limits,
                                  command="implement", allow_weakening=run.allow_weakening, verify=run.verify))
        attempt = Attempt(iteration=iteration, status=checked.status, failure=checked.failure,
                          checks=_checks(checked), report_problems=checked.report_problems, lint=checked.lint,
                          dry_run=checked.dry_run, tool_calls=run.tools.calls - calls_before, usage=turn.usage)
        dr = checked.dry_run
        run.trace("attempt", {
            "iteration": iteration, "status": attempt.status, "failure": attempt.failure, "checks": attempt.checks,
            "report_problems": [str(p) for p in checked.report_problems],
            "lint": [f"{f.file}:{f.line}:{f.column} {f.severity} {f.rule}: {f.message}" for f in checked.lint],
            "dry_run": None if dr is None else {
                "passed": dr.passed, "failure": dr.failure, "statements": len(dr.statements),
                "errors": [f"{s.file}:{s.error_line or s.line} {s.sqlstate} {s.message}" for s in dr.statements
                           if s.status not in ("ok", "ignored")],
                "rollback_proved": bool(dr.rollback and dr.rollback.proved)},
            "timings_ms": checked.timings_ms})
        run.result.attempts.append(attempt)
        for name in ("status", "failure", "classification", "files", "report_problems", "lint", "dry_run"):
            setattr(run.result, name, getattr(checked, name))
        for stage, ms in checked.timings_ms.items():
            run.result.timings_ms[stage] = run.result.timings_ms.get(stage, 0) + ms
        run.result.iterations = iteration
        if checked.status == "verified":
            break
        if iteration < run.max_iterations:
            run.conversation.messages.append({"role": "user", "content": _repair(attempt, checked)})


def close(run: Loop) -> None:
    if run.sandbox is not None and run.clone is not None:
        run.sandbox.drop_database(run.clone)


def run_loop(run: Loop) -> Result:
    """PREPARE, then iterate; the clone for tools is dropped whatever happens."""
    try:
        for step in PREPARE:
            started = time.perf_counter()
            step(run)
            run.trace("step", {"name": step.__name__, "ms": round((time.perf_counter() - started) * 1000, 1)})
        iterate(run)
    finally:
        close(run)
    run.result.timings_ms["total"] = round((time.monotonic() - run.started) * 1000, 1)
    return run.result


def stderr_progress() -> Callable[[str], None] | None:
    """Progress lines on stderr, only when it is a terminal."""
    if not sys.stderr.isatty():
        return None
    return lambda line: print(line, file=sys.stderr, flush=True)


def require_recommendation(text: str) -> str:
    if not text.strip():
        raise UserError("the recommendation is empty")
    return text
