"""The Python API: the same operations as the CLI, returning pydantic models."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Callable, Sequence

from dbagent.checking import Check, run_check, verify_options
from dbagent.errors import UserError
from dbagent.inputs import read_text_file
from dbagent.layouts import LAYOUTS, detect, plan_files, steps_of, write_files
from dbagent.lint import LintConfig, LintReport, SqlSource, load_config
from dbagent.lint import lint as _lint
from dbagent.loop import DEFAULT_BUDGET_S, DEFAULT_ITERATIONS, Loop, require_recommendation, run_loop
from dbagent.providers import Provider, default_provider_name, get_provider
from dbagent.report import parse_report
from dbagent.result import Result
from dbagent.rundir import check_target, default_dir
from dbagent.rundir import write as write_run
from dbagent.recommendation import queries_of, split_queries
from dbagent.sandbox import Limits, ReadOnlySource, Script, VerifyOptions, get_sandbox
from dbagent.sandbox import dry_run as _sandbox_dry_run
from dbagent.trace import Trace, dsn_password

PathLike = str | Path


def load_schema_script(schema: PathLike | None = None, schema_from_dsn: str | None = None,
                       sizes: dict[str, tuple[float, int]] | None = None) -> Script:
    """The schema to start from: a file, a read-only dump of a live database, or nothing.
    From a live database, its table sizes go into `sizes` for the lock report."""
    if schema is not None and schema_from_dsn is not None:
        raise UserError("give either --schema or --schema-from-dsn, not both")
    if schema_from_dsn is not None:
        source = ReadOnlySource(schema_from_dsn)
        if sizes is not None:
            sizes.update(source.table_sizes())
        return Script(f"pg_dump of {source.display}", source.dump_schema())
    if schema is None:
        return Script("(empty schema)", "")
    path = Path(schema)
    return Script(str(schema), read_text_file(path, "schema"), path.resolve())


def _verify_options(verify: bool, config: LintConfig, queries: PathLike | None, rows: int,
                    sizes: dict, recommendation: str = "") -> VerifyOptions | None:
    """What verification probes with: --queries FILE, else the recommendation's queries."""
    if not verify:
        return None
    if rows < 2 or rows > 100_000:
        raise UserError("--rows must be between 2 and 100000")
    if queries is not None:
        found = [q.strip() for q in split_queries(read_text_file(queries, "queries file"))]
    else:
        found = queries_of(recommendation) if recommendation else []
    return verify_options(config, found, rows, sizes)


def _scripts(paths: Sequence[PathLike], role: str) -> list[Script]:
    what = "rollback" if role == "down" else "migration"
    return [Script(str(p), read_text_file(p, what), Path(p).resolve(), role) for p in paths]


def _duration(value: str, what: str) -> str:
    """A PostgreSQL duration such as 500ms, 30s, 2min; checked here so it cannot inject options."""
    if not re.fullmatch(r"\d+(ms|s|min|h)?", value.strip()):
        raise UserError(f"{what} {value!r} is not a duration like 500ms, 30s or 2min")
    return value.strip()


def dry_run(migrations: Sequence[PathLike], *, rollback: Sequence[PathLike] = (),
            schema: PathLike | None = None, schema_from_dsn: str | None = None,
            sandbox_dsn: str | None = None, variables: dict[str, str] | None = None,
            statement_timeout: str = Limits.statement_timeout, lock_timeout: str = Limits.lock_timeout,
            verify: bool = True, queries: PathLike | None = None, rows: int = 200,
            config: LintConfig | None = None) -> Result:
    """Apply `migrations` (then `rollback`, then the migrations again) to a clone of `schema`.
    With `verify` (the default) the clone holds synthetic rows and the behaviour checks run:
    tenant isolation, index use by `queries` (a file of SQL), the lock report, new objects.

    Raises UserError for unusable input, SandboxError when the sandbox cannot run.
    """
    if not migrations:
        raise UserError("no migration file given")
    up, down = _scripts(migrations, "up"), _scripts(rollback, "down")
    sizes: dict = {}
    schema_script = load_schema_script(schema, schema_from_dsn, sizes)
    checks = _verify_options(verify, config or load_config(), queries, rows, sizes)
    started = time.perf_counter()
    sandbox = get_sandbox(sandbox_dsn)
    timings = {"sandbox_start": round((time.perf_counter() - started) * 1000, 2)}
    started = time.perf_counter()
    limits = Limits(statement_timeout=_duration(statement_timeout, "statement timeout"),
                    lock_timeout=_duration(lock_timeout, "lock timeout"))
    evidence = _sandbox_dry_run(sandbox, schema_script, up, down, variables, limits, verify_with=checks)
    timings["dry_run"] = round((time.perf_counter() - started) * 1000, 2)
    warnings = [] if checks else ["behaviour not verified (--no-verify): applied and rolled back only"]
    return Result(command="dryrun", status="verified" if evidence.passed else "failed",
                  failure=evidence.failure, files=evidence.files, dry_run=evidence, timings_ms=timings,
                  warnings=warnings)


def lint(files: Sequence[PathLike], *, schema: PathLike | None = None,
         config: LintConfig | None = None, roles: dict[str, str] | None = None,
         variables: dict[str, str] | None = None) -> LintReport:
    """Lint migration files in order against the pre-migration `schema` (a DDL file).

    `config` defaults to `[tool.dbagent.lint]` of the nearest pyproject.toml. A file's role
    (up, up-nontransactional, down) comes from `roles` or from its name (x.down.sql is a rollback);
    `variables` are psql variables, as `psql -v`.
    """
    if not files:
        raise UserError("no SQL file given")
    sources = [SqlSource(name=str(p), text=read_text_file(p, "SQL file"), role=(roles or {}).get(str(p)))
               for p in files]
    schema_text = read_text_file(schema, "schema") if schema is not None else None
    return _lint(sources, schema_text, config or load_config(), variables)


def check(report: PathLike, *, schema: PathLike | None = None, schema_from_dsn: str | None = None,
          sandbox_dsn: str | None = None, variables: dict[str, str] | None = None,
          config: LintConfig | None = None, statement_timeout: str = Limits.statement_timeout,
          lock_timeout: str = Limits.lock_timeout, allow_weakening: bool = False,
          verify: bool = True, queries: PathLike | None = None, rows: int = 200) -> Result:
    """Check an 11-section report anyone wrote: parse it, lint its SQL, and with a schema
    dry-run it in the sandbox with rollback proof and the behaviour checks (unless `verify`
    is false). Returns the same Result as `implement`.
    """
    text = read_text_file(report, "report")
    sizes: dict = {}
    schema_script = load_schema_script(schema, schema_from_dsn, sizes) if (schema or schema_from_dsn) else None
    limits = Limits(statement_timeout=_duration(statement_timeout, "statement timeout"),
                    lock_timeout=_duration(lock_timeout, "lock timeout"))
    config = config or load_config()
    return run_check(Check(text, schema_script, sandbox_dsn, config, dict(variables or {}), limits,
                           allow_weakening=allow_weakening,
                           verify=_verify_options(verify, config, queries, rows, sizes)))


def implement(recommendation: PathLike, *, schema: PathLike | None = None, schema_from_dsn: str | None = None,
              provider: str | Provider | None = None, model: str | None = None,
              max_iterations: int = DEFAULT_ITERATIONS, out: PathLike | None = None,
              sandbox_dsn: str | None = None, record: PathLike | None = None,
              budget_seconds: float = DEFAULT_BUDGET_S, config: LintConfig | None = None,
              progress: Callable[[str], None] | None = None, write_run_dir: bool = True,
              project: PathLike | None = None, layout: str = "auto", allow_weakening: bool = False,
              verify: bool = True, queries: PathLike | None = None) -> Result:
    """Turn a recommendation into a proven implementation: the model writes the 11-section report,
    every attempt is parsed, linted and dry-run with rollback proof, failures go back as repair
    turns. Returns the Result of the last attempt with every attempt's evidence.

    `provider` is a name (`anthropic[:MODEL]`, `replay:PATH`) or a Provider object (e.g. the
    scripted test double); the default is anthropic when ANTHROPIC_API_KEY is set. With
    `project`, verified files are also written where that project keeps its migrations, in its
    tool's format (`layout` auto-detected unless given).
    """
    rec_path = Path(recommendation)
    text = require_recommendation(read_text_file(rec_path, "recommendation"))
    if max_iterations < 1:
        raise UserError("--max-iterations must be at least 1")
    if schema is None and schema_from_dsn is None:
        raise UserError("give the database's schema: --schema FILE or --schema-from-dsn URL")
    target = Path(out) if out else default_dir(rec_path)
    if write_run_dir:
        check_target(target)
    project_dir = Path(project) if project is not None else None
    if project_dir is not None:
        if not project_dir.is_dir():
            raise UserError(f"--project {project_dir}: not a directory")
        chosen, why = detect(project_dir) if layout == "auto" else (layout, "chosen with --layout")
        if chosen not in LAYOUTS:
            raise UserError(f"unknown layout {layout!r}; known: auto, {', '.join(LAYOUTS)}")
    sizes: dict = {}
    schema_script = load_schema_script(schema, schema_from_dsn, sizes)
    config = config or load_config()
    checks = _verify_options(verify, config, queries, 200, sizes, text)
    if isinstance(provider, str) or provider is None:
        provider = get_provider(provider or default_provider_name(), model, Path(record) if record else None,
                                schema=schema_script.text, config=config, sizes=sizes)
    trace = Trace([dsn_password(schema_from_dsn), dsn_password(sandbox_dsn)])
    run = Loop(text, schema_script, provider, trace, max_iterations=max_iterations, budget_s=budget_seconds,
               sandbox_dsn=sandbox_dsn, lint_config=config, progress=progress, allow_weakening=allow_weakening,
               verify=checks)
    result = run_loop(run)
    if project_dir is not None:
        _write_project(result, run.last_text, project_dir, chosen, why)
    if write_run_dir:
        write_run(target, result, run.last_text, trace.text())
    return result


def _write_project(result: Result, report_text: str, project: Path, layout: str, why: str) -> None:
    """Verified files into the project, in its tool's format; an unverified run writes nothing there."""
    result.layout = f"{layout}: {why}"
    if result.status != "verified":
        result.warnings.append(f"nothing written to {project}: the implementation is not verified")
        return
    steps = steps_of(parse_report(report_text))
    written = write_files(project, plan_files(project, layout, steps))
    result.project_files = [str(p.relative_to(project)) for p in written]
