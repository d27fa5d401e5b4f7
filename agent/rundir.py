"""The run directory: report.md, result.json, the SQL files in apply order, trace.jsonl.

Written into a temporary sibling and renamed into place, so a run directory is complete or
absent, never half-written; an existing non-empty directory is never overwritten.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path, PurePosixPath

from dbagent.errors import ReportParseError, UserError
from dbagent.report import Report, parse_report, render_report
from dbagent.result import Result


def default_dir(recommendation: Path) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", recommendation.stem.lower()).strip("-")[:40] or "run"
    return Path("dbagent-runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"


def check_target(out: Path) -> None:
    """Before the run: the directory must be new (or empty) and its parent writable."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"--out {out}: exists and is not an empty directory; choose another")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        Path(tempfile.mkdtemp(prefix=".dbagent-probe-", dir=out.parent)).rmdir()
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None


def _safe(path: str) -> PurePosixPath | None:
    """A report's file path as a relative path inside the run directory, or None if it escapes."""
    p = PurePosixPath(path.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or not p.parts:
        return None
    return p


_MARK = {"passed": "[x]", "failed": "[ ] FAILED:", "warning": "[x] warning:", "skipped": "[ ] skipped:"}


def with_evidence(report: Report, result: Result) -> Report:
    """The report with what the sandbox proved appended to its validation section: each check,
    its outcome and evidence, so the written report says what was run, not only what was planned."""
    dr = result.dry_run
    if dr is None or (not dr.checks and dr.rollback is None):
        return report
    lines = ["", "", "#### Proven in the sandbox (dbagent)", ""]
    if dr.rollback is not None:
        lines.append(f"- {'[x]' if dr.rollback.proved else '[ ] FAILED:'} rollback restores the catalog; "
                     f"{'re-applies cleanly' if dr.rollback.reapplied else 'not re-applied'}")
    if dr.data is not None:
        lines.append(f"- [x] synthetic data: {sum(dr.data.rows.values())} rows in {len(dr.data.rows)} tables, "
                     f"{len(dr.data.tenants)} tenants")
    lines += [f"- {_MARK[c.status]} {c.name}: {c.evidence}" for c in dr.checks]
    body = report.validation.body.rstrip() + "\n".join(lines) + "\n"
    return report.model_copy(update={"validation": report.validation.model_copy(update={"body": body})})


def write(out: Path, result: Result, report_text: str, trace_text: str) -> Path:
    """Write every file of the run; returns the directory."""
    check_target(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".dbagent-run-", dir=out.parent))
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
    try:
        try:
            report = parse_report(report_text)
            (staging / "report.md").write_text(render_report(with_evidence(report, result)))
            artifacts = {a.path: a for a in report.code.artifacts}
        except ReportParseError:
            (staging / "report.md").write_text(report_text)
            artifacts = {}
        for f in result.files:
            rel = _safe(f.path)
            if rel is None:  # a model-chosen path such as ../../etc/x never leaves the run directory
                result.warnings.append(f"not written: {f.path} (outside the run directory)")
            elif f.path in artifacts:
                target = staging.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(artifacts[f.path].sql)
        (staging / "trace.jsonl").write_text(trace_text)
        result.out_dir = str(out)
        (staging / "result.json").write_text(result.model_dump_json(indent=2) + "\n")
        if out.exists():
            out.rmdir()  # empty, checked above
        staging.rename(out)
    except OSError as exc:  # a full disk, a read-only file system: nothing half-written stays
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(f"--out {out}: cannot write the run directory ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
