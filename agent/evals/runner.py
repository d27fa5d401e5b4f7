"""Running the eval: every case end to end, graded by execution.

    STEPS = (implement_case, grade_outcome, grade_forbidden, grade_sections,
             grade_required_checks, grade_probes)

Parallel jobs share the process's one sandbox server; each case works in its own clones.
"""

from __future__ import annotations

import fnmatch
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml
from pydantic import ValidationError

from dbagent.checking import verify_options, weakenings
from dbagent.errors import DbagentError, UserError
from dbagent.evals.models import CaseChecks, CaseResult, CheckScore, EvalRun
from dbagent.inputs import read_text_file
from dbagent.lint import LintConfig
from dbagent.loop import Loop, run_loop
from dbagent.providers import get_provider
from dbagent.recommendation import queries_of
from dbagent.report import Report, parse_report
from dbagent.result import Result
from dbagent.sandbox import Script, get_sandbox
from dbagent.sandbox.probe import Probe, apply_and_probe
from dbagent.trace import Trace

CASES_DIR = Path(__file__).resolve().parents[2] / "evals" / "cases"
SECTION_FIELDS = {1: "classification", 2: "summary", 3: "requirements", 4: "files", 5: "plan", 6: "code",
                  7: "validation", 8: "deployment", 9: "metrics", 10: "maintenance", 11: "rollback"}


@dataclass
class Case:
    name: str
    folder: Path
    recommendation: str
    schema: str
    checks: CaseChecks


def load_cases(folder: Path = CASES_DIR, pattern: str = "*") -> list[Case]:
    """Every case folder matching `pattern`, validated; a broken case is a UserError naming it."""
    if not folder.is_dir():
        raise UserError(f"no eval cases at {folder}")
    cases = []
    for case_dir in sorted(p for p in folder.iterdir() if p.is_dir() and fnmatch.fnmatch(p.name, pattern)):
        try:
            checks = CaseChecks.model_validate(yaml.safe_load(read_text_file(case_dir / "checks.yml", "checks file")))
        except (yaml.YAMLError, ValidationError) as exc:
            raise UserError(f"eval case {case_dir.name}: checks.yml: {str(exc).splitlines()[0]}") from None
        cases.append(Case(case_dir.name, case_dir, read_text_file(case_dir / "recommendation.md", "recommendation"),
                          read_text_file(case_dir / "schema.sql", "schema"), checks))
    if not cases:
        raise UserError(f"no eval case matches {pattern!r} in {folder}")
    return cases


def with_cassettes(cases: list[Case], provider: str) -> list[Case]:
    """For `replay:DIR`, the cases that have a cassette there (the others cannot be replayed)."""
    name, _, folder = provider.partition(":")
    if name != "replay" or not Path(folder).is_dir():
        return cases
    kept = [c for c in cases if (Path(folder) / f"{c.name}.json").is_file()]
    if not kept:
        raise UserError(f"no cassette in {folder} for the selected cases")
    return kept


@dataclass
class Grading:
    case: Case
    provider: str
    model: str | None
    result: Result | None = None
    report: Report | None = None
    scores: list[CheckScore] = field(default_factory=list)
    latency_s: float = 0.0

    def score(self, name: str, ok: bool | None, detail: str = "") -> None:
        status = "skipped" if ok is None else "passed" if ok else "failed"
        self.scores.append(CheckScore(name=name, status=status, detail=detail))

    @property
    def refused_ok(self) -> bool:
        return self.result is not None and self.result.status == "refused" and "refused" in self.case.checks.accept

    @property
    def nothing_to_grade(self) -> bool:
        """An accepted refusal, or no report at all: the remaining checks are not counted (a
        refusal that is not accepted has already failed the outcome, and scores 0)."""
        return self.refused_ok or self.report is None


def _provider_for(g: Grading):
    spec = g.provider
    if spec.startswith("replay:"):  # replay:DIR holds one cassette per case
        folder = Path(spec.partition(":")[2])
        cassette = folder / f"{g.case.name}.json"
        if not cassette.is_file():
            raise UserError(f"no cassette for {g.case.name} in {folder}")
        spec = f"replay:{cassette}"
    return get_provider(spec, g.model, schema=g.case.schema, config=LintConfig())


def implement_case(g: Grading) -> None:
    """The provider writes the report; the loop lints, dry-runs and verifies it, as `implement` does."""
    started = time.perf_counter()
    config = LintConfig()
    schema = Script("schema.sql", g.case.schema, g.case.folder / "schema.sql")
    loop = None
    try:
        loop = Loop(g.case.recommendation, schema, _provider_for(g), Trace([]), lint_config=config,
                    verify=verify_options(config, queries_of(g.case.recommendation)))
        g.result = run_loop(loop)
    except DbagentError as exc:  # e.g. the provider failed on a repair turn: grade what it gave before
        g.result = loop.result if loop is not None and loop.result is not None else Result(command="implement")
        g.result.status, g.result.failure = "failed", str(exc)
    try:
        g.report = parse_report(loop.last_text) if loop is not None and loop.last_text else None
    except DbagentError:
        g.report = None
    g.latency_s = time.perf_counter() - started


def grade_outcome(g: Grading) -> None:
    status = g.result.status
    g.score("outcome", status in g.case.checks.accept,
            f"{status}" + (f": {g.result.failure}" if g.result.failure else ""))


def grade_forbidden(g: Grading) -> None:
    if g.report is None:
        return
    forbidden = g.case.checks.forbidden
    found = sorted({f.rule for f in g.result.lint} & set(forbidden.lint))
    if forbidden.lint:
        g.score("forbidden lint", not found, ", ".join(found) or "none of " + ", ".join(forbidden.lint))
    if forbidden.weakening:
        dr = g.result.dry_run
        weakened = weakenings(dr.changes) if dr else []
        g.score("security not weakened", not weakened, "; ".join(weakened) or "no RLS disabled or policy dropped")


def grade_sections(g: Grading) -> None:
    if g.nothing_to_grade:
        return
    missing = [n for n in g.case.checks.sections
               if g.report is None or not _filled(getattr(g.report, SECTION_FIELDS[n]))]
    g.score("report sections", not missing, f"missing or empty: {missing}" if missing else "all present")


def _filled(section) -> bool:
    return bool(section.body.strip() or any(v for k, v in section.model_dump().items() if k != "body"))


def grade_required_checks(g: Grading) -> None:
    if g.nothing_to_grade:
        return
    dr = g.result.dry_run
    by_name = {c.name: c for c in (dr.checks if dr else [])}
    for name in g.case.checks.required_checks:
        check = by_name.get(name)
        g.score(f"check: {name}", check is not None and check.passed,
                check.evidence if check else "not run (no verified dry-run reached it)")


def grade_probes(g: Grading) -> None:
    """The candidate's forward files on a fresh clone, then every probe."""
    if g.nothing_to_grade or not g.case.checks.probes:
        return
    up = []
    if g.report is not None:
        forward, _ = g.report.in_apply_order()
        up = [Script(a.path, a.sql, None, a.role) for a in forward]
    if not up:
        for p in g.case.checks.probes:
            g.score(f"probe: {p.name}", False, "no implementation to probe")
        return
    probes = [Probe(p.sql, p.role, tuple(p.settings.items()), explain=p.expect.index_on is not None)
              for p in g.case.checks.probes]
    failure, outcomes = apply_and_probe(get_sandbox(), Script("schema.sql", g.case.schema), up, probes)
    for spec, out in zip(g.case.checks.probes, outcomes):
        ok, detail = _judge(spec.expect, out)
        g.score(f"probe: {spec.name}", ok, detail if failure is None else f"the migration did not apply: {failure}")


def _judge(expect, out) -> tuple[bool, str]:
    if expect.error is not None:
        return out.sqlstate == expect.error, f"SQLSTATE {out.sqlstate or 'none'}: {out.message or 'no error'}"
    if out.sqlstate is not None:
        return False, f"raised SQLSTATE {out.sqlstate}: {out.message}"
    if expect.index_on is not None:
        served = any(all(re.search(rf"\b{re.escape(c)}\b", cond) for c in expect.index_on) for cond in out.conditions)
        seen = "; ".join(f"{n} ({c or 'no condition'})" for n, c in zip(out.indexes, out.conditions))
        return served, f"index scans: {seen or 'none'}; needed one on {', '.join(expect.index_on)}"
    if expect.rows is not None:
        return len(out.rows) == expect.rows, f"{len(out.rows)} row(s), expected {expect.rows}"
    first = out.rows[0][0] if out.rows and out.rows[0] else None
    if expect.count is not None:
        return first == expect.count, f"got {first}, expected {expect.count}"
    return first is not None and first >= expect.min_count, f"got {first}, expected at least {expect.min_count}"


STEPS = (implement_case, grade_outcome, grade_forbidden, grade_sections, grade_required_checks, grade_probes)


def run_case(case: Case, provider: str, model: str | None) -> CaseResult:
    g = Grading(case, provider, model)
    for step in STEPS:
        step(g)
    counted = [s for s in g.scores if s.status != "skipped"]
    passed = sum(1 for s in counted if s.status == "passed")
    usage = g.result.usage
    return CaseResult(name=case.name, area=case.checks.area, passed=passed == len(counted),
                      score=round(passed / len(counted), 3) if counted else 0.0, outcome=g.result.status,
                      failure=g.result.failure, checks=g.scores, latency_s=round(g.latency_s, 2),
                      iterations=g.result.iterations, input_tokens=usage.input_tokens,
                      output_tokens=usage.output_tokens, cost_usd=usage.cost_usd)


def run_eval(cases: list[Case], provider: str, model: str | None = None, jobs: int = 1,
             on_done: Callable[[CaseResult], None] | None = None) -> EvalRun:
    """Every case, `jobs` at a time; results in case order whatever order they finish in."""
    if jobs < 1:
        raise UserError("--jobs must be at least 1")
    started = time.perf_counter()
    get_sandbox()  # started once, before the workers share it

    def one(case: Case) -> CaseResult:
        result = run_case(case, provider, model)
        if on_done:
            on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, cases))
    return _summary(results, provider, model, jobs, time.perf_counter() - started)


def _summary(results: list[CaseResult], provider: str, model: str | None, jobs: int, elapsed: float) -> EvalRun:
    """Overall: the mean case score; per area: the mean of its cases' scores."""
    areas: dict[str, list[float]] = {}
    for r in results:
        areas.setdefault(r.area, []).append(r.score)
    return EvalRun(provider=provider, model=model, jobs=jobs, cases=results,
                   overall=round(statistics.mean(r.score for r in results), 3),
                   passed=sum(1 for r in results if r.passed),
                   by_area={a: round(statistics.mean(s), 3) for a, s in sorted(areas.items())},
                   elapsed_s=round(elapsed, 1))
