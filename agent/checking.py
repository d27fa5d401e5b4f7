"""Checking a report: parse, order its files, lint them, dry-run them with rollback proof.

    STEPS = (parse, order_files, lint_files, dry_run_files)

`dbagent check` runs these on a report anyone wrote; the agent loop runs them on each
model turn. Each step records its timing; the first that fails decides the Result.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from dbagent.errors import ReportParseError
from dbagent.lint import LintConfig, SqlSource, lint
from dbagent.report import Report, parse_report
from dbagent.report.models import ReportProblem, SqlArtifact
from dbagent.result import Result
from dbagent.sandbox import Limits, Script, VerifyOptions, get_sandbox
from dbagent.sandbox import dry_run as sandbox_dry_run
from dbagent.sandbox.models import SqlFile

RUNNABLE = ("up", "up-nontransactional", "down")


@dataclass
class Check:
    """One check's inputs, what the steps found, and the Result being built."""

    text: str
    schema: Script | None
    sandbox_dsn: str | None = None
    lint_config: LintConfig = field(default_factory=LintConfig)
    variables: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    command: str = "check"
    allow_weakening: bool = False
    verify: VerifyOptions | None = None
    report: Report | None = None
    forward: list[SqlArtifact] = field(default_factory=list)
    rollback: list[SqlArtifact] = field(default_factory=list)
    result: Result | None = None
    stopped: bool = False

    def fail(self, status: str, failure: str) -> None:
        """Decide the outcome; later steps do not run."""
        self.result.status = status
        self.result.failure = failure
        self.stopped = True


def parse(c: Check) -> None:
    """The report's 11 sections and SQL files; what is missing becomes located problems."""
    try:
        c.report = parse_report(c.text)
    except ReportParseError as err:
        problems: list[ReportProblem] = err.problems
        c.result.report_problems = problems
        c.fail("failed", f"report: {len(problems)} problem(s), first: {problems[0]}")
        return
    c.result.classification = c.report.classification.level


def order_files(c: Check) -> None:
    """Forward files in section 4's apply order; rollbacks in the reverse order of what they undo."""
    forward, downs = c.report.in_apply_order()
    c.forward, c.rollback = forward, downs
    verify = [a for a in c.report.code.artifacts if a.role == "verify"]
    c.result.files = [SqlFile(path=a.path, role=a.role, sha256=hashlib.sha256(a.sql.encode()).hexdigest())
                      for a in [*forward, *downs, *verify]]


def lint_files(c: Check) -> None:
    """Static checks with the schema as context; sandbox-danger findings stop the run here."""
    sources = [SqlSource(name=a.path, text=a.sql, role=a.role) for a in [*c.forward, *c.rollback]]
    config = c.lint_config
    if c.allow_weakening:  # the user accepts weaker isolation: say so, but do not fail on it
        config = config.model_copy(update={"severity": {
            **config.severity, "rls-weakened": "warning", "tenant-table-rls-disabled": "warning"}})
    report = lint(sources, c.schema.text if c.schema else None, config, c.variables)
    c.result.lint = report.findings
    danger = [f for f in report.findings if f.group == "sandbox" and f.severity == "error"]
    if danger:
        f = danger[0]
        c.fail("refused", f"{f.file}:{f.line}: {f.rule}: {f.message} (not run)")


def dry_run_files(c: Check) -> None:
    """Apply, roll back, prove the rollback by catalog equality, apply again."""
    if c.schema is None:
        c.fail("failed", "parsed and linted only: give --schema FILE or --schema-from-dsn URL to dry-run it")
        return
    started = time.perf_counter()
    sandbox = get_sandbox(c.sandbox_dsn)
    c.result.timings_ms["sandbox_start"] = round((time.perf_counter() - started) * 1000, 2)
    up = [Script(a.path, a.sql, None, a.role) for a in c.forward]
    down = [Script(a.path, a.sql, None, "down") for a in c.rollback]
    evidence = sandbox_dry_run(sandbox, c.schema, up, down, c.variables, c.limits, verify_with=c.verify)
    c.result.dry_run = evidence
    if not evidence.passed:
        c.fail("failed", evidence.failure or "dry-run failed")
        return
    weakened = weakenings(evidence.changes)
    if weakened and not c.allow_weakening:
        c.fail("failed", f"weakens tenant isolation compared with the schema: {'; '.join(weakened)} "
                         "(pass --allow-weakening if that is intended)")
        return
    errors = [f for f in c.result.lint if f.severity == "error"]
    if errors:
        f = errors[0]
        c.fail("failed", f"ran and rolled back, but lint found {len(errors)} error(s), first "
                         f"{f.file}:{f.line}: {f.rule}: {f.message}")
        return
    c.result.status = "verified"
    c.result.failure = None
    if c.verify is None:
        c.result.warnings.append("behaviour not verified (--no-verify): applied and rolled back only")


def verify_options(config: LintConfig, queries: list[str] | tuple[str, ...] = (), rows: int = 200,
                   sizes: dict[str, tuple[float, int]] | None = None) -> VerifyOptions:
    """Verification speaks the linter's tenant words: key column, setting, admin roles."""
    return VerifyOptions(rows=rows, tenant_key=config.tenant_key, tenant_setting=config.tenant_setting,
                         admin_roles=tuple(config.admin_roles), queries=tuple(queries), sizes=dict(sizes or {}))


def weakenings(changes) -> list[str]:
    """What the migration did to make isolation weaker: RLS off or un-forced, policies dropped
    from a table that gained no policy in exchange."""
    found = []
    added_policy_tables = {c.name.rsplit(".", 1)[0] for c in changes if c.kind == "policy" and c.change == "added"}
    for c in changes:
        if c.kind == "table" and c.change == "changed":
            for flag, words in (("rls_enabled", "row-level security disabled"), ("rls_forced", "no longer forced")):
                if c.fields.get(flag, {}).get("before") is True and c.fields[flag].get("after") is False:
                    found.append(f"{c.name}: {words}")
        elif c.kind == "policy" and c.change == "removed" and c.name.rsplit(".", 1)[0] not in added_policy_tables:
            found.append(f"policy {c.name} dropped and not replaced")
    return found


STEPS = (parse, order_files, lint_files, dry_run_files)


def run_check(c: Check) -> Result:
    """Run the steps until one decides the outcome; timings per step in the Result."""
    c.result = Result(command=c.command, status="failed", failure="not finished")
    for step in STEPS:
        started = time.perf_counter()
        step(c)
        c.result.timings_ms[step.__name__] = round((time.perf_counter() - started) * 1000, 2)
        if c.stopped:
            break
    return c.result
