"""The dry-run: apply a migration to a fresh clone, watch it, roll it back, prove the rollback.

    STEPS = (clone, seed_data, snapshot_before, probe_before, apply_up, snapshot_after, verify,
             apply_down, prove_rollback, reapply_up, compare_reapply)

Each step is one function of the shared context; the runner times each and skips the rest
after the first failure. The schema is loaded (once, cached) before the steps run. With
verification asked for, the clone gets synthetic rows before the migration and the
behavioural checks run after it; a failed check fails the dry-run once the rollback has
been proved too, so the evidence is complete.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from dbagent.errors import SandboxError
from dbagent.sandbox._catalog import Snapshot, diff, snapshot
from dbagent.sandbox._execute import pre_existing_relations, run_script
from dbagent.sandbox._sandbox import Limits, Sandbox
from dbagent.sandbox._schema import load_schema, privileged_hook, roles_of
from dbagent.sandbox.models import DryRunResult, RollbackProof, SqlFile, StepOutcome
from dbagent.sandbox.verify import VerifyOptions, baseline_clone, seed_clone, verify_clone


@dataclass(frozen=True)
class Script:
    """A SQL/psql file to run: its display name, text and (when it came from disk) path."""

    name: str
    text: str
    path: Path | None = None
    role: str = "up"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass
class DryRun:
    """The context every step reads and writes."""

    sandbox: Sandbox
    template: str
    up: list[Script]
    down: list[Script]
    variables: dict[str, str]
    result: DryRunResult
    limits: Limits | None = None
    verify: VerifyOptions | None = None
    db: str | None = None
    existing: dict[int, str] = field(default_factory=dict)
    before: Snapshot | None = None
    after: Snapshot | None = None
    baseline: dict[str, str] = field(default_factory=dict)


class StepFailed(Exception):
    """A step found what makes the dry-run fail; its message is the one-line reason."""


def clone(run: DryRun) -> str:
    """Create a fresh database from the schema template."""
    run.db = run.sandbox.take_clone(run.template)
    return run.db


def seed_data(run: DryRun) -> str:
    """Synthetic rows in every table, across tenants, so data-dependent failures show."""
    if run.verify is None:
        return "verification not asked for"
    run.result.data = seed_clone(run.sandbox, run.db, run.verify)
    filled = sum(1 for n in run.result.data.rows.values() if n)
    return f"{sum(run.result.data.rows.values())} rows in {filled} tables, {len(run.result.data.tenants)} tenants"


def snapshot_before(run: DryRun) -> str:
    """Read the catalog, and which relations exist, before the migration."""
    with run.sandbox.connect(run.db) as conn:
        run.before = snapshot(conn)
        run.existing = pre_existing_relations(conn)
    return f"{len(run.before)} objects"


def _apply(run: DryRun, scripts: list[Script], phase: str) -> str:
    for script in scripts:
        with run.sandbox.connect(run.db, run.limits) as conn:
            outcome = run_script(conn, script.text, script.name, phase=phase, existing=run.existing,
                                 path=script.path, variables=run.variables,
                                 privileged=privileged_hook(run.sandbox, run.db),
                                 monitor=lambda: run.sandbox.admin(run.db))
        run.result.statements += outcome.outcomes
        run.result.output += outcome.output
        if not outcome.ok:
            failed = outcome.outcomes[-1] if outcome.outcomes else None
            hint = " (on the sandbox's synthetic rows: real data can hold such rows too)" \
                if run.result.data and failed and (failed.sqlstate or "").startswith("23") else ""
            raise StepFailed(f"{phase}: {outcome.failure}{hint}")
    return f"{sum(1 for o in run.result.statements if o.phase == phase)} statements"


def probe_before(run: DryRun) -> str:
    """The isolation checks on the schema as it is, to tell its own failures from the migration's."""
    if run.verify is None:
        return "verification not asked for"
    run.baseline = baseline_clone(run.sandbox, run.db, run.verify, run.result.data.tenants)
    return f"{sum(1 for s in run.baseline.values() if s == 'failed')} of {len(run.baseline)} fail before the migration"


def apply_up(run: DryRun) -> str:
    """Run the forward files in order, each in its own session as psql -f would."""
    return _apply(run, run.up, "up")


def snapshot_after(run: DryRun) -> str:
    """Read the catalog after the migration and record what changed."""
    with run.sandbox.connect(run.db) as conn:
        run.after = snapshot(conn)
    run.result.changes = _own(run, diff(run.before, run.after))
    return f"{len(run.result.changes)} changes"


def verify(run: DryRun) -> str:
    """Tenant isolation, index usability, the lock report and the new objects, on the migrated clone."""
    if run.verify is None:
        return "verification not asked for"
    tables_before = {name for kind, name in run.before if kind == "table"}
    run.result.checks, run.result.locks = verify_clone(
        run.sandbox, run.db, run.verify, tables_before=tables_before, changes=run.result.changes,
        statements=[s for s in run.result.statements if s.phase == "up"],
        data=run.result.data, baseline=run.baseline,
        new_views={name: props["type"] == "materialized" for (kind, name), props in run.after.items()
                   if kind == "view" and (kind, name) not in run.before})
    failed = sum(1 for c in run.result.checks if c.status == "failed")
    return f"{len(run.result.checks)} checks, {failed} failed"


def apply_down(run: DryRun) -> str:
    """Run the rollback files in order."""
    if not run.down:
        return "no rollback given"
    run.result.rollback = RollbackProof(proved=False)
    return _apply(run, run.down, "down")


def prove_rollback(run: DryRun) -> str:
    """The catalog after rollback must equal the catalog before the migration."""
    if not run.down:
        return "no rollback given"
    with run.sandbox.connect(run.db) as conn:
        differences = _own(run, diff(run.before, snapshot(conn)))
    run.result.rollback = RollbackProof(proved=not differences, differences=differences)
    if differences:
        listed = "; ".join(d.describe() for d in differences[:5])
        more = f" and {len(differences) - 5} more" if len(differences) > 5 else ""
        raise StepFailed(f"rollback does not restore the schema: {listed}{more}")
    return "catalog equals the pre-migration snapshot"


def release(run: DryRun) -> None:
    """Drop the run's clone and end its window for roles (those the migration made would break
    its next run); each part best effort, since a dead server took both with it."""
    for cleanup in ((lambda: run.sandbox.drop_database(run.db)) if run.db else None, run.sandbox.end_run):
        try:
            if cleanup:
                cleanup()
        except (psycopg.Error, SandboxError):
            pass


def _own(run: DryRun, differences: list) -> list:
    """Roles are server-wide: a role difference counts only when this migration names the role;
    others are concurrent runs' schemas and migrations coming and going."""
    names: set[str] = set()
    for script in [*run.up, *run.down]:
        named, created = roles_of(script.text, script.name)
        names |= named | created
    return [d for d in differences if d.kind != "role" or d.name in names]


def reapply_up(run: DryRun) -> str:
    """Apply the migration again after its rollback: up -> down -> up must work."""
    if not run.down:
        return "no rollback given"
    return _apply(run, run.up, "reapply")


def compare_reapply(run: DryRun) -> str:
    """The second up must produce the same catalog as the first."""
    if not run.down:
        return "no rollback given"
    with run.sandbox.connect(run.db) as conn:
        differences = _own(run, diff(run.after, snapshot(conn)))
    run.result.rollback.reapplied = not differences
    run.result.rollback.reapply_differences = differences
    if differences:
        raise StepFailed("re-applying after rollback gives a different schema: "
                         + "; ".join(d.describe() for d in differences[:5]))
    return "up -> down -> up gives the same catalog"


STEPS = (clone, seed_data, snapshot_before, probe_before, apply_up, snapshot_after, verify, apply_down,
         prove_rollback, reapply_up, compare_reapply)


def dry_run(sandbox: Sandbox, schema: Script, up: list[Script], down: list[Script] = (),
            variables: dict[str, str] | None = None, limits: Limits | None = None,
            verify_with: VerifyOptions | None = None) -> DryRunResult:
    """Load `schema` (cached), then run STEPS on a fresh clone; the clone is dropped afterwards.
    With `verify_with`, the clone is filled with synthetic rows and the checks run."""
    result = DryRunResult(passed=False, server=sandbox.description,
                          files=[SqlFile(path=s.name, role=s.role, sha256=s.sha256)
                                 for s in [*up, *down]])
    started = time.perf_counter()
    sandbox.begin_run()  # before the schema loads: its roles must outlive concurrent runs' cleanup
    try:
        template = load_schema(sandbox, schema.text, schema.name, schema.path, variables)
    except BaseException:
        sandbox.end_run()
        raise
    result.steps.append(StepOutcome(name="load_schema", status="ok",
                                    duration_ms=round((time.perf_counter() - started) * 1000, 2)))
    run = DryRun(sandbox, template, list(up), list(down), dict(variables or {}), result, limits=limits,
                 verify=verify_with)
    try:
        for step in STEPS:
            if result.failure is not None:
                result.steps.append(StepOutcome(name=step.__name__, status="skipped"))
                continue
            started = time.perf_counter()
            try:
                detail, status = step(run), "ok"
            except StepFailed as exc:
                detail, status, result.failure = str(exc), "failed", str(exc)
            result.steps.append(StepOutcome(name=step.__name__, status=status, detail=detail,
                                            duration_ms=round((time.perf_counter() - started) * 1000, 2)))
    except psycopg.OperationalError as exc:  # the server died or went away: not the migration's fault
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise SandboxError(f"sandbox: lost the server during the dry-run ({reason})") from None
    finally:
        release(run)
    failed = [c for c in result.checks if c.status == "failed"]
    if result.failure is None and failed:
        result.failure = (f"verification: {len(failed)} check(s) failed, first: {failed[0].name}: "
                          f"{failed[0].evidence}")
    result.passed = result.failure is None
    return result
