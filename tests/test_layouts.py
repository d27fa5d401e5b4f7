"""Writing a verified implementation into a project, in its migration tool's format.

alembic (from PyPI) runs for real against the sandbox. dbmate (npm) and sqitch (Debian) are not
installed by the test command, so their files are checked against the tools' documented rules
and executed the way each tool executes them; see the README.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from dbagent import dry_run, implement
from dbagent.errors import UserError
from dbagent.layouts import Step, detect, plan_files, steps_of, write_files
from dbagent.layouts._sql import statements
from dbagent.providers.base import Conversation
from dbagent.providers.builtin import BuiltinProvider
from dbagent.report import parse_report
from dbagent.sandbox import load_schema

from conftest import ROOT

SCHEMA = (ROOT / "examples/quickstart/schema.sql").read_text()
REC = ROOT / "examples/quickstart/recommendation.md"


@pytest.fixture(scope="module")
def steps() -> list[Step]:
    """The quickstart's verified implementation, as the builtin provider writes it."""
    conv = Conversation(system=[], messages=[{"role": "user", "content": f"<recommendation>\n{REC.read_text()}</recommendation>"}])
    text = BuiltinProvider(SCHEMA).turn(conv, lambda *a: "", lambda *a: None).text
    return steps_of(parse_report(text))


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


PROJECTS = {
    "sqitch": {"sqitch.plan": "%syntax-version=1.0.0\n%project=app\n\nbase 2024-01-01T00:00:00Z A <a@b> # base\n"},
    "alembic": {"alembic.ini": "[alembic]\nscript_location = alembic\n", "alembic/versions/.keep": ""},
    "supabase": {"supabase/migrations/20240101000000_init.sql": "select 1;\n"},
    "dbmate": {"db/migrations/20240101000000_init.sql": "-- migrate:up\nselect 1;\n-- migrate:down\nselect 1;\n"},
    "flyway": {"db/migration/V1__init.sql": "select 1;\n", "db/migration/V2__more.sql": "select 1;\n"},
    "golang-migrate": {"migrations/000001_init.up.sql": "select 1;\n", "migrations/000001_init.down.sql": "select 1;\n"},
    "plain": {"README.md": "no migrations yet\n"},
}


@pytest.mark.parametrize("layout", list(PROJECTS))
def test_detection(layout, tmp_path):
    found, why = detect(project(tmp_path, PROJECTS[layout]))
    assert found == layout and why


def test_ambiguous_project_is_refused(tmp_path):
    with pytest.raises(UserError, match="ambiguous .*sqitch.*alembic|ambiguous .*alembic.*sqitch"):
        detect(project(tmp_path, {**PROJECTS["sqitch"], **PROJECTS["alembic"]}))


def test_never_overwrites_and_writes_all_or_nothing(tmp_path, steps):
    root = project(tmp_path, PROJECTS["flyway"])
    files = plan_files(root, "flyway", steps)
    clash = sorted(files)[-1]
    (root / clash).parent.mkdir(parents=True, exist_ok=True)
    (root / clash).write_text("mine\n")
    with pytest.raises(UserError, match="refusing to overwrite"):
        write_files(root, files)
    assert (root / clash).read_text() == "mine\n"
    assert not any((root / f).exists() for f in files if f != clash)


def test_numbering_follows_the_existing_files(tmp_path, steps):
    assert sorted(plan_files(project(tmp_path / "f", PROJECTS["flyway"]), "flyway", steps))[:2] == [
        "db/migration/U3__tenant_isolation.sql", "db/migration/U4__tenant_isolation_indexes_concurrently.sql"]
    golang = sorted(plan_files(project(tmp_path / "g", PROJECTS["golang-migrate"]), "golang-migrate", steps))
    assert golang[0].startswith("migrations/000002_tenant_isolation.") and all(re.match(r"migrations/\d{6}_", g) for g in golang)
    stamps = [f.split("/")[-1][:14] for f in plan_files(project(tmp_path / "d", PROJECTS["dbmate"]), "dbmate", steps)]
    assert stamps == sorted(stamps) and stamps[0] > "20240101000000" and len(set(stamps)) == 3  # one per index


def test_dbmate_markers_and_transaction_false(tmp_path, steps):
    files = plan_files(project(tmp_path, PROJECTS["dbmate"]), "dbmate", steps)
    txn, nontxn, _ = [files[k] for k in sorted(files)]
    assert txn.startswith("-- migrate:up\n") and "\n-- migrate:down\n" in txn
    assert "BEGIN;" not in txn and "COMMIT;" not in txn  # dbmate wraps the file itself
    assert nontxn.startswith("-- migrate:up transaction:false\n") and "-- migrate:down transaction:false\n" in nontxn
    assert nontxn.count("CREATE INDEX CONCURRENTLY") == 1  # dbmate sends a file as one query


def test_flyway_undo_files_and_per_script_settings(tmp_path, steps):
    files = plan_files(project(tmp_path, PROJECTS["flyway"]), "flyway", steps)
    assert files["db/migration/V4__tenant_isolation_indexes_concurrently.sql.conf"] == "executeInTransaction=false\n"
    assert "BEGIN;" not in files["db/migration/V3__tenant_isolation.sql"]
    assert "DISABLE ROW LEVEL SECURITY" in files["db/migration/U3__tenant_isolation.sql"]


def test_golang_migrate_files_run_as_the_driver_runs_them(tmp_path, steps, sandbox):
    """The postgres driver sends each file as one query: CONCURRENTLY must be alone in its file."""
    files = plan_files(project(tmp_path, PROJECTS["golang-migrate"]), "golang-migrate", steps)
    ups = sorted(f for f in files if f.endswith(".up.sql"))
    downs = sorted((f for f in files if f.endswith(".down.sql")), reverse=True)
    template = load_schema(sandbox, SCHEMA, "schema.sql")
    with sandbox.clone(template) as db, sandbox.connect(db) as conn:
        conn.autocommit = True
        for name in ups + downs:
            conn.execute(files[name])  # one simple-protocol query per file, as the driver does
        assert conn.execute("select count(*) from pg_policies where tablename = 'tasks'").fetchone()[0] == 0


def test_sqitch_plan_scripts_and_verify(tmp_path, steps, sandbox):
    root = project(tmp_path, PROJECTS["sqitch"])
    result = implement(REC, schema=ROOT / "examples/quickstart/schema.sql", provider="builtin",
                       write_run_dir=False, project=root)
    assert result.status == "verified" and result.layout.startswith("sqitch")
    plan = (root / "sqitch.plan").read_text().splitlines()
    assert plan[3].startswith("base ")
    assert re.match(r"^tenant_isolation \[base\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ dbagent <dbagent@localhost> # ", plan[4])
    assert plan[5].startswith("tenant_isolation_indexes_concurrently [tenant_isolation] ")
    deploy = sorted((root / "deploy").glob("*.sql"), key=lambda p: len(p.name))
    revert = sorted((root / "revert").glob("*.sql"), key=lambda p: -len(p.name))
    verify = (root / "verify" / "tenant_isolation.sql").read_text()
    assert "pg_policy" in verify and "relrowsecurity" in verify
    # sqitch runs each script with psql: our sandbox runs psql scripts the same way
    run = dry_run(deploy + [root / "verify" / "tenant_isolation.sql"], rollback=revert,
                  schema=ROOT / "examples/quickstart/schema.sql")
    assert run.status == "verified", run.failure


def test_alembic_revision_runs_with_the_real_tool(tmp_path, sandbox):
    root = project(tmp_path, {
        "alembic.ini": "[alembic]\nscript_location = alembic\n",
        "alembic/script.py.mako": "",
        "alembic/env.py": ENV_PY,
        "alembic/versions/aaaa00000001_base.py": "revision = 'aaaa00000001'\ndown_revision = None\n"
                                                  "def upgrade():\n    pass\ndef downgrade():\n    pass\n",
    })
    result = implement(REC, schema=ROOT / "examples/quickstart/schema.sql", provider="builtin",
                       write_run_dir=False, project=root)
    [written] = result.project_files
    text = (root / written).read_text()
    assert "down_revision = 'aaaa00000001'" in text and "autocommit_block()" in text
    template = load_schema(sandbox, SCHEMA, "schema.sql")
    with sandbox.clone(template) as db:
        info = conninfo_to_dict(sandbox.server.conninfo(db, user=sandbox.migrator))
        url = f"postgresql+psycopg://{info['user']}@/{db}?host={info['host']}&port={info.get('port', 5432)}"
        if info.get("password"):
            url = url.replace(f"{info['user']}@", f"{info['user']}:{info['password']}@")
        env = {"DBAGENT_TEST_URL": url, "PATH": ""}
        alembic = [sys.executable, "-m", "alembic", "-c", str(root / "alembic.ini")]

        def rls(conn):
            return conn.execute("select relrowsecurity from pg_class where oid = 'public.tasks'::regclass").fetchone()[0]

        up = subprocess.run([*alembic, "upgrade", "head"], cwd=root, env=env, capture_output=True, text=True)
        assert up.returncode == 0, up.stderr
        with sandbox.connect(db) as conn:
            assert rls(conn) is True
        down = subprocess.run([*alembic, "downgrade", "aaaa00000001"], cwd=root, env=env, capture_output=True, text=True)
        assert down.returncode == 0, down.stderr
        with sandbox.connect(db) as conn:
            assert rls(conn) is False


ENV_PY = '''
import os
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["DBAGENT_TEST_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''


def test_unverified_runs_write_nothing_into_the_project(tmp_path, write):
    root = project(tmp_path / "p", PROJECTS["dbmate"])
    slow = write("rec.md", "# Slow search\n\nThe search is slow; add indexes.\n")
    result = implement(slow, schema=ROOT / "examples/quickstart/schema.sql", provider="builtin",
                       write_run_dir=False, project=root)
    assert result.status == "refused" and result.project_files == []
    assert sorted(p.name for p in (root / "db/migrations").iterdir()) == ["20240101000000_init.sql"]


def test_statements_helper_keeps_function_bodies_whole():
    sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nSELECT 2;\n"
    assert statements(sql) == ["CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$", "SELECT 2"]


def _socket_env(sandbox, db: str) -> dict[str, str]:
    info = conninfo_to_dict(sandbox.server.conninfo(db, user=sandbox.migrator))
    env = {"PGHOST": info["host"], "PGPORT": str(info.get("port", 5432)), "PGUSER": info["user"], "PGDATABASE": db,
           "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())}
    if info.get("password"):
        env["PGPASSWORD"] = info["password"]
    return env


def _rls_on(sandbox, db: str) -> bool:
    with sandbox.connect(db) as conn:
        return conn.execute("select relrowsecurity from pg_class where oid = 'public.tasks'::regclass").fetchone()[0]


@pytest.mark.skipif(not shutil.which("dbmate"), reason="dbmate is not installed (.ci/run installs it from npm)")
def test_dbmate_applies_and_rolls_back_the_files_for_real(tmp_path, sandbox):
    root = project(tmp_path, PROJECTS["dbmate"])
    result = implement(REC, schema=ROOT / "examples/quickstart/schema.sql", provider="builtin",
                       write_run_dir=False, project=root)
    assert result.status == "verified" and result.layout.startswith("dbmate")
    template = load_schema(sandbox, SCHEMA, "schema.sql")
    with sandbox.clone(template) as db:
        env = _socket_env(sandbox, db)
        url = f"postgres://{env['PGUSER']}:{env.get('PGPASSWORD', '')}@/{db}?host={env['PGHOST']}&port={env['PGPORT']}&sslmode=disable"
        dbmate = [shutil.which("dbmate"), "--url", url, "--migrations-dir", str(root / "db/migrations"),
                  "--no-dump-schema"]
        up = subprocess.run([*dbmate, "up"], env=env, capture_output=True, text=True)
        assert up.returncode == 0, up.stderr + up.stdout
        assert _rls_on(sandbox, db)
        for _ in result.project_files:  # dbmate rolls back one migration at a time
            down = subprocess.run([*dbmate, "rollback"], env=env, capture_output=True, text=True)
            assert down.returncode == 0, down.stderr + down.stdout
        assert not _rls_on(sandbox, db)


@pytest.mark.skipif(not shutil.which("sqitch"), reason="sqitch is not installed (.ci/run installs it from Debian)")
def test_sqitch_deploys_verifies_and_reverts_for_real(tmp_path, sandbox):
    root = project(tmp_path, {"sqitch.conf": "[core]\n\tengine = pg\n",
                              "sqitch.plan": "%syntax-version=1.0.0\n%project=app\n\n",
                              })
    result = implement(REC, schema=ROOT / "examples/quickstart/schema.sql", provider="builtin",
                       write_run_dir=False, project=root)
    assert result.status == "verified" and result.layout.startswith("sqitch")
    template = load_schema(sandbox, SCHEMA, "schema.sql")
    with sandbox.clone(template) as db:
        env = {**_socket_env(sandbox, db), "SQITCH_FULLNAME": "dbagent test", "SQITCH_EMAIL": "t@example.com"}
        target = f"db:pg:{db}"
        for command in (["deploy", "--verify", target], ["verify", target]):
            proc = subprocess.run(["sqitch", *command], cwd=root, env=env, capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr + proc.stdout
        assert _rls_on(sandbox, db)
        proc = subprocess.run(["sqitch", "revert", "-y", target], cwd=root, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        assert not _rls_on(sandbox, db)
