"""Writing a verified implementation where the user's project keeps its migrations, in its tool's format.

    detect(project)  -> (layout, why)       sqitch, alembic, supabase, dbmate, flyway, golang-migrate, plain
    plan_files(...)  -> {relative path: text}
    write_files(...) -> the paths written; never overwrites, all or nothing
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from dbagent.errors import UserError
from dbagent.layouts import formats
from dbagent.layouts._sql import Step
from dbagent.report.models import Report
from dbagent.report.models import stem

LAYOUTS = ("plain", "sqitch", "dbmate", "golang-migrate", "flyway", "alembic", "supabase")
_DBMATE_MARK = "-- migrate:up"
_FLYWAY = re.compile(r"^V\d+(?:[._]\d+)*__.+\.sql$")
_GOLANG = re.compile(r"^\d+_.+\.(up|down)\.sql$")


def _files(project: Path, pattern: str, limit: int = 2000) -> list[Path]:
    out = []
    for path in project.rglob(pattern):
        if any(part in (".git", "node_modules", ".venv", "venv") for part in path.parts):
            continue
        out.append(path)
        if len(out) >= limit:
            break
    return out


def detect(project: Path) -> tuple[str, str]:
    """The migration tool a project uses, and the evidence; ambiguous projects are refused."""
    found: dict[str, str] = {}
    if (project / "sqitch.plan").is_file():
        found["sqitch"] = "sqitch.plan"
    if (project / "alembic.ini").is_file():
        found["alembic"] = "alembic.ini"
    if (project / "supabase" / "migrations").is_dir():
        found["supabase"] = "supabase/migrations/"
    sqls = _files(project, "*.sql")
    dbmate = [p for p in sqls if "migrations" in p.parts and _DBMATE_MARK in p.read_text(errors="replace")[:2000]]
    if dbmate:
        found["dbmate"] = f"{dbmate[0].relative_to(project)} has '{_DBMATE_MARK}'"
    flyway = [p for p in sqls if _FLYWAY.match(p.name)]
    if flyway:
        found["flyway"] = f"{flyway[0].relative_to(project)} is a Flyway versioned migration"
    golang = [p for p in sqls if _GOLANG.match(p.name)]
    if golang and "dbmate" not in found:
        found["golang-migrate"] = f"{golang[0].relative_to(project)} is a golang-migrate up/down file"
    if "supabase" in found:
        found.pop("dbmate", None)  # supabase projects are plain timestamped files
    if len(found) > 1:
        raise UserError(f"{project}: the migration tool is ambiguous ({'; '.join(f'{k}: {v}' for k, v in found.items())}): "
                        f"choose one with --layout")
    if found:
        layout, why = next(iter(found.items()))
        return layout, why
    return "plain", "no migration tool found: plain numbered files in migrations/"


def steps_of(report: Report) -> list[Step]:
    """Forward files in apply order with their rollbacks, from a parsed (verified) report."""
    forward, rollback = report.in_apply_order()
    downs = {stem(a.path): a.sql for a in rollback}
    out = []
    for a in forward:
        name = re.sub(r"^[\d_]+", "", stem(a.path)).strip("_-") or "change"
        out.append(Step(name=re.sub(r"[^a-z0-9_]+", "_", name.lower()), up=a.sql,
                        down=downs.get(stem(a.path), ""), transactional=a.role == "up"))
    return out


def plan_files(project: Path, layout: str, steps: list[Step]) -> dict[str, str]:
    """Relative path -> contents for `layout`, numbered after what the project already has."""
    writer = formats.WRITERS.get(layout)
    if writer is None:
        raise UserError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    return writer(project, steps)


def write_files(project: Path, files: dict[str, str]) -> list[Path]:
    """Write every file or none. An existing file is never overwritten; a registry such as
    sqitch.plan may only be extended (its new text starts with its old text)."""
    targets = {project / rel: text for rel, text in files.items()}
    clash = [str(p) for p, text in targets.items() if p.exists() and not text.startswith(p.read_text())]
    if clash:
        raise UserError(f"refusing to overwrite {', '.join(clash)}")
    done: list[tuple[Path, str | None]] = []  # (path, previous text)
    try:
        for path, text in targets.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            previous = path.read_text() if path.exists() else None
            fd, tmp = tempfile.mkstemp(prefix=".dbagent-", dir=path.parent)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            if previous is None:
                os.link(tmp, path)  # fails if the file appeared meanwhile: still no overwrite
                os.unlink(tmp)
            else:
                os.replace(tmp, path)
            done.append((path, previous))
    except OSError as exc:
        for path, previous in reversed(done):
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(previous)
        raise UserError(f"cannot write into {project}: {exc.strerror or exc}") from None
    return [path for path, _ in done]
