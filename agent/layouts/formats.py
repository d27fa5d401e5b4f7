"""One writer per migration tool: its naming, numbering, up/down structure and how it runs a
non-transactional step. Each returns {relative path: text}; nothing is written here."""

from __future__ import annotations

import ast as pyast
import configparser
import re
import time
import uuid
from pathlib import Path
from typing import Callable

from dbagent.layouts._sql import statements, verify_sql, without_transaction

HEADER = "-- Written by dbagent after a verified dry-run (applied, rolled back, re-applied).\n"


def _max_number(names: list[str], pattern: str) -> int:
    found = [int(m.group(1)) for n in names for m in [re.match(pattern, n)] if m]
    return max(found, default=0)


def _timestamps(project_files: list[str], count: int) -> list[str]:
    """`count` YYYYMMDDHHMMSS stamps, increasing, all after any stamp already used."""
    used = _max_number(project_files, r"^(\d{14})")
    now = int(time.strftime("%Y%m%d%H%M%S", time.gmtime()))
    start = max(now, used + 1)
    return [str(start + k) for k in range(count)]


def _names(folder: Path, glob: str = "*") -> list[str]:
    return sorted(p.name for p in folder.glob(glob)) if folder.is_dir() else []


def plain(project: Path, steps) -> dict[str, str]:
    folder = "migrations"
    n = _max_number(_names(project / folder), r"^(\d+)_")
    out = {}
    for k, s in enumerate(steps, n + 1):
        suffix = "" if s.transactional else "_concurrently"
        out[f"{folder}/{k:03d}_{s.name}{suffix}.sql"] = HEADER + s.up
        out[f"{folder}/{k:03d}_{s.name}{suffix}.down.sql"] = HEADER + s.down
    return out


def dbmate(project: Path, steps) -> dict[str, str]:
    """db/migrations/<timestamp>_name.sql with -- migrate:up / -- migrate:down. dbmate wraps a file
    in a transaction (its own BEGIN/COMMIT are removed) unless `transaction:false`; it sends a file
    as one query, so each CONCURRENTLY statement gets its own `transaction:false` migration."""
    folder = "db/migrations"
    units = one_statement_units(steps)
    stamps = _timestamps(_names(project / folder), len(units))
    out = {}
    for stamp, (name, up, down, transactional) in zip(stamps, units):
        option = "" if transactional else " transaction:false"
        up = without_transaction(up) if transactional else up
        out[f"{folder}/{stamp}_{name}.sql"] = (f"-- migrate:up{option}\n{HEADER}{up}\n"
                                               f"-- migrate:down{option}\n{without_transaction(down)}")
    return out


def one_statement_units(steps) -> list[tuple[str, str, str, bool]]:
    """(name, up, down, transactional) migrations: a transactional step stays whole; each statement
    of a CONCURRENTLY step becomes its own migration, for tools that send a file as one query
    (a multi-statement query runs in an implicit transaction, which CONCURRENTLY refuses)."""
    units = []
    for s in steps:
        if s.transactional:
            units.append((s.name, s.up, s.down, True))
            continue
        downs = statements(s.down)
        for k, stmt in enumerate(x for x in statements(s.up) if not x.upper().startswith(("SET ", "RESET "))):
            undo = next((d for d in downs if _same_object(stmt, d)), "")
            units.append((f"{s.name}_{k + 1}", stmt + ";\n", (undo + ";\n") if undo else "SELECT 1;\n", False))
    return units


def golang_migrate(project: Path, steps) -> dict[str, str]:
    """NNNNNN_name.up.sql / .down.sql pairs, one CONCURRENTLY statement per migration (the postgres
    driver sends a file as one query)."""
    existing = [p for p in (project.rglob("*.up.sql")) if ".git" not in p.parts]
    folder = existing[0].parent.relative_to(project) if existing else Path("migrations")
    names = _names(project / folder)
    timestamps = any(re.match(r"^\d{14}_", n) for n in names)
    width = max((len(m.group(1)) for n in names for m in [re.match(r"^(\d+)_", n)] if m), default=6)
    units = one_statement_units(steps)
    last = _max_number(names, r"^(\d+)_")
    numbers = (_timestamps(names, len(units)) if timestamps else
               [str(last + k).zfill(width) for k in range(1, len(units) + 1)])
    out = {}
    for number, (name, up, down, _) in zip(numbers, units):
        out[f"{folder}/{number}_{name}.up.sql"] = HEADER + up
        out[f"{folder}/{number}_{name}.down.sql"] = HEADER + down
    return out


def _same_object(create: str, drop: str) -> bool:
    """Does this DROP undo that CREATE (by a name they share)?"""
    words = set(re.findall(r"[\w.\"]+", create)) - {"CREATE", "INDEX", "CONCURRENTLY", "IF", "NOT", "EXISTS", "ON"}
    return drop.upper().startswith("DROP") and any(w.split(".")[-1] in drop for w in words if len(w) > 3)


def flyway(project: Path, steps) -> dict[str, str]:
    """V<n>__name.sql and U<n>__name.sql in the versioned folder; Flyway runs each script in a
    transaction unless its V<n>__name.sql.conf says executeInTransaction=false."""
    existing = [p for p in project.rglob("V*__*.sql") if ".git" not in p.parts]
    folder = existing[0].parent.relative_to(project) if existing else Path("db/migration")
    n = _max_number(_names(project / folder), r"^V(\d+)")
    out = {}
    for k, s in enumerate(steps, n + 1):
        up = without_transaction(s.up) if s.transactional else s.up
        out[f"{folder}/V{k}__{s.name}.sql"] = HEADER + up
        out[f"{folder}/U{k}__{s.name}.sql"] = HEADER + without_transaction(s.down)
        if not s.transactional:
            out[f"{folder}/V{k}__{s.name}.sql.conf"] = "executeInTransaction=false\n"
            out[f"{folder}/U{k}__{s.name}.sql.conf"] = "executeInTransaction=false\n"
    return out


def supabase(project: Path, steps) -> dict[str, str]:
    """supabase/migrations/<timestamp>_name.sql (up only, as the Supabase CLI has no down files);
    rollbacks go to supabase/rollbacks/ with the same name, to run by hand."""
    stamps = _timestamps(_names(project / "supabase" / "migrations"), len(steps))
    out = {}
    for stamp, s in zip(stamps, steps):
        up = without_transaction(s.up) if s.transactional else s.up
        out[f"supabase/migrations/{stamp}_{s.name}.sql"] = HEADER + up
        out[f"supabase/rollbacks/{stamp}_{s.name}.sql"] = HEADER + s.down
    return out


def sqitch(project: Path, steps) -> dict[str, str]:
    """deploy/, revert/ and verify/ scripts and a sqitch.plan entry per change. Sqitch has no
    per-script "no transaction", so a CONCURRENTLY step is its own change, which the scripts
    run without BEGIN/COMMIT; each change requires the previous one."""
    plan_path = project / "sqitch.plan"
    plan = plan_path.read_text() if plan_path.is_file() else "%syntax-version=1.0.0\n%project=db\n\n"
    existing = {line.split()[0] for line in plan.splitlines() if line and not line.startswith(("%", "#", "@"))}
    last = [line.split()[0] for line in plan.splitlines() if line and not line.startswith(("%", "#", "@"))][-1:] or []
    out = {}
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines = []
    prev = last[0] if last else None
    for s in steps:
        name = s.name
        while name in existing:
            name += "_2"
        existing.add(name)
        out[f"deploy/{name}.sql"] = HEADER + s.up
        out[f"revert/{name}.sql"] = HEADER + s.down
        out[f"verify/{name}.sql"] = HEADER + verify_sql(s.up)
        deps = f" [{prev}]" if prev else ""
        lines.append(f"{name}{deps} {stamp} dbagent <dbagent@localhost> # written by dbagent, verified in a sandbox")
        prev = name
    out["sqitch.plan"] = (plan if plan.endswith("\n") else plan + "\n") + "\n".join(lines) + "\n"  # extended only
    return out


def alembic(project: Path, steps) -> dict[str, str]:
    """One revision in the versions folder of alembic.ini's script_location, after the current
    head; statements run through op.execute, CONCURRENTLY ones inside autocommit_block()."""
    config = configparser.ConfigParser()
    config.read(project / "alembic.ini")
    location = config.get("alembic", "script_location", fallback="alembic").replace("%(here)s/", "")
    versions = project / location / "versions"
    revisions, downs = {}, set()
    for path in versions.glob("*.py") if versions.is_dir() else []:
        values = _module_strings(path.read_text())
        if values.get("revision"):
            revisions[values["revision"]] = path.name
            downs.update(values.get("down_revision_all", []))
    heads = sorted(set(revisions) - downs)
    down_revision = heads[0] if len(heads) == 1 else (tuple(heads) if heads else None)
    rev = uuid.uuid4().hex[:12]
    body_up, body_down = [], []
    for s in steps:
        ups = statements(without_transaction(s.up))
        downs_ = statements(without_transaction(s.down))
        block_up = [f"    op.execute({stmt!r})" for stmt in ups]
        block_down = [f"    op.execute({stmt!r})" for stmt in downs_]
        if not s.transactional:
            block_up = ["    with op.get_context().autocommit_block():"] + ["    " + b for b in block_up]
            block_down = ["    with op.get_context().autocommit_block():"] + ["    " + b for b in block_down]
        body_up += block_up
        body_down = block_down + body_down
    text = ('"""' + ", ".join(s.name for s in steps) + ': written by dbagent after a verified dry-run.\n\n'
            f'Revision ID: {rev}\nRevises: {down_revision}\n"""\n\nfrom alembic import op\n\n'
            f'revision = {rev!r}\ndown_revision = {down_revision!r}\nbranch_labels = None\ndepends_on = None\n\n\n'
            'def upgrade() -> None:\n' + "\n".join(body_up or ["    pass"]) + '\n\n\n'
            'def downgrade() -> None:\n' + "\n".join(body_down or ["    pass"]) + "\n")
    return {f"{location}/versions/{rev}_{steps[0].name if steps else 'change'}.py": text}


def _module_strings(source: str) -> dict:
    """revision and down_revision of an alembic revision file, read with Python's parser."""
    out: dict = {}
    try:
        tree = pyast.parse(source)
    except SyntaxError:
        return out
    for node in tree.body:
        if isinstance(node, (pyast.Assign, pyast.AnnAssign)):
            targets = node.targets if isinstance(node, pyast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, pyast.Name) and t.id in ("revision", "down_revision"):
                    try:
                        value = pyast.literal_eval(node.value)
                    except ValueError:
                        continue
                    if t.id == "revision":
                        out["revision"] = value
                    else:
                        out["down_revision_all"] = list(value) if isinstance(value, (tuple, list)) else (
                            [value] if value else [])
    return out


WRITERS: dict[str, Callable] = {"plain": plain, "dbmate": dbmate, "golang-migrate": golang_migrate,
                                "flyway": flyway, "supabase": supabase, "sqitch": sqitch, "alembic": alembic}
