"""The dry-run on a real server: evidence per statement, catalog diff, rollback proof."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dbagent import dry_run
from dbagent.cli import app
from dbagent.result import Result

from conftest import FIXTURES, ROOT

SCHEMA = """
CREATE TABLE public.accounts (id bigint PRIMARY KEY, tenant_id int NOT NULL, name text NOT NULL);
CREATE TABLE public.events (id bigint PRIMARY KEY, account_id bigint REFERENCES public.accounts(id), amount int);
"""


def test_quickstart_example_passes_with_rollback_proved(sandbox):
    ex = ROOT / "examples" / "quickstart"
    result = CliRunner().invoke(app, ["dryrun", str(ex / "001_tasks_rls.sql"), "--rollback",
                                      str(ex / "001_tasks_rls.down.sql"), "--schema", str(ex / "schema.sql"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    parsed = Result.model_validate_json(result.stdout)
    assert parsed.status == "verified"
    dr = parsed.dry_run
    assert dr.rollback.proved and dr.rollback.reapplied
    kinds = {(c.kind, c.change) for c in dr.changes}
    assert ("policy", "added") in kinds and ("index", "added") in kinds
    table = next(c for c in dr.changes if c.kind == "table")
    assert table.fields["rls_forced"] == {"before": False, "after": True}
    enable = next(s for s in dr.statements if "ENABLE ROW LEVEL SECURITY" in s.statement and s.phase == "up")
    assert [(l.relation, l.mode) for l in enable.locks] == [("public.tasks", "AccessExclusiveLock")]
    assert [s.phase for s in dr.statements].count("reapply") == [s.phase for s in dr.statements].count("up")


def test_rollback_that_forgets_a_function_is_caught_and_named(write, sandbox):
    schema = write("schema.sql", SCHEMA)
    up = write("up.sql", "CREATE FUNCTION public.account_total(p bigint) RETURNS bigint LANGUAGE sql "
                         "AS $$ SELECT sum(amount) FROM public.events WHERE account_id = p $$;\n"
                         "CREATE INDEX events_account_idx ON public.events (account_id);\n")
    down = write("down.sql", "DROP INDEX public.events_account_idx;\n")
    result = dry_run([up], rollback=[down], schema=schema)
    assert result.status == "failed"
    assert not result.dry_run.rollback.proved
    assert [(d.kind, d.name, d.change) for d in result.dry_run.rollback.differences] == [
        ("function", "public.account_total(p bigint)", "added")]
    assert "function public.account_total(p bigint) added" in result.failure


def test_concurrently_inside_a_transaction_block_fails_as_postgres_does(write, sandbox):
    schema = write("schema.sql", SCHEMA)
    up = write("up.sql", "BEGIN;\nALTER TABLE public.events ADD COLUMN note text;\n"
                         "CREATE INDEX CONCURRENTLY events_note_idx ON public.events (note);\nCOMMIT;\n")
    result = dry_run([up], schema=schema)
    assert result.status == "failed"
    bad = [s for s in result.dry_run.statements if s.status == "error"]
    assert len(bad) == 1 and bad[0].sqlstate == "25001" and bad[0].line == 3
    assert "cannot run inside a transaction block" in bad[0].message
    # the failed transaction was rolled back: nothing of it is left behind as evidence of success
    assert result.dry_run.changes == []


def test_concurrently_outside_a_block_runs_bare_and_succeeds(write, sandbox):
    schema = write("schema.sql", SCHEMA)
    up = write("up.sql", "CREATE INDEX CONCURRENTLY events_amount_idx ON public.events (amount);\n")
    result = dry_run([up], schema=schema)
    assert result.status == "verified"
    statement = result.dry_run.statements[0]
    assert statement.in_transaction is False and statement.lock_capture == "sampled"
    # CONCURRENTLY's own short transactions can end between two samples: what is seen must be right
    assert {l.mode for l in statement.locks} <= {"ShareUpdateExclusiveLock"}


def test_error_on_line_37_is_reported_as_line_37(write, sandbox):
    schema = write("schema.sql", SCHEMA)
    lines = [f"-- filler comment {i}" for i in range(1, 35)]
    lines += ["CREATE TABLE public.notes (", "  id bigint PRIMARY KEY,",
              "  body text NOT NULL DEFAULT no_such_function(),", "  created_at timestamptz", ");"]
    up = write("up.sql", "\n".join(lines) + "\n")
    result = dry_run([up], schema=schema)
    bad = next(s for s in result.dry_run.statements if s.status == "error")
    assert bad.line == 35 and bad.sqlstate == "42883"
    column = lines[36].index("no_such_function") + 1
    assert (bad.error_line, bad.error_column) == (37, column)
    assert result.failure.startswith(f"up: {up}:37:{column}: function no_such_function() does not exist")


def test_alter_column_type_rewrite_is_detected(write, sandbox):
    schema = write("schema.sql", SCHEMA)
    up = write("up.sql", "ALTER TABLE public.events ALTER COLUMN amount TYPE bigint;\n"
                         "ALTER TABLE public.accounts ALTER COLUMN name TYPE varchar;\n")
    result = dry_run([up], schema=schema)
    first, second = result.dry_run.statements
    assert first.rewrote == ["public.events"]
    assert second.rewrote == []  # text -> varchar is binary-coercible: no rewrite
    assert ("public.events", "AccessExclusiveLock") in [(l.relation, l.mode) for l in first.locks]


def test_file_transaction_left_open_fails(write, sandbox):
    up = write("up.sql", "BEGIN;\nCREATE TABLE public.t (id int);\n")
    result = dry_run([up])
    assert result.status == "failed" and "BEGIN without COMMIT" in result.failure
    assert result.dry_run.changes == []


def test_schema_template_is_loaded_once_and_cloned(write, sandbox):
    schema = write("schema.sql", SCHEMA + "\n-- template reuse marker\n")
    up = write("up.sql", "CREATE TABLE public.x (id int);\n")
    before = len(sandbox.templates)
    first = dry_run([up], schema=schema)
    second = dry_run([up], schema=schema)
    assert first.status == second.status == "verified"
    assert len(sandbox.templates) == before + 1


def test_corpus_schemas_load_and_accept_a_migration(write, sandbox):
    up = write("up.sql", "CREATE TABLE public.dbagent_probe (id int);\n")
    down = write("down.sql", "DROP TABLE public.dbagent_probe;\n")
    for schema in sorted((FIXTURES / "schemas").glob("*.sql")):
        result = dry_run([up], rollback=[down], schema=schema)
        assert result.status == "verified", (schema.name, result.failure)


def test_migration_runs_without_superuser_or_server_file_roles(write, sandbox, tmp_path):
    canary = tmp_path / "canary"
    probe = write("probe.sql", "SELECT rolsuper, rolbypassrls, pg_has_role(current_user, 'pg_execute_server_program', 'USAGE') "
                               "AS prog FROM pg_roles WHERE rolname = current_user \\gset\n"
                               "\\echo super=:rolsuper bypass=:rolbypassrls prog=:prog\n")
    result = dry_run([probe])
    assert result.dry_run.output == ["super=f bypass=f prog=f"]
    attack = write("attack.sql", f"COPY (SELECT 1) TO PROGRAM 'touch {canary}';\n")
    result = dry_run([attack])
    assert result.dry_run.statements[0].sqlstate == "42501"
    assert not canary.exists()
    readfile = write("read.sql", "SELECT pg_read_file('/etc/hostname');\n")
    assert dry_run([readfile]).dry_run.statements[0].sqlstate == "42501"


def test_json_output_is_exactly_one_document(sandbox):
    ex = ROOT / "examples" / "quickstart"
    result = CliRunner().invoke(app, ["dryrun", str(ex / "001_tasks_rls.sql"), "--schema", str(ex / "schema.sql"),
                                      "--json"])
    document = json.loads(result.stdout)
    assert document["command"] == "dryrun" and document["status"] == "verified"


def test_statement_timeout_is_enforced_and_configurable(write, sandbox):
    slow = write("slow.sql", "SELECT pg_sleep(2);\n")
    result = dry_run([slow], statement_timeout="200ms")
    assert result.dry_run.statements[0].sqlstate == "57014"
    assert "statement timeout" in result.dry_run.statements[0].message


def test_lock_timeout_is_enforced(write, sandbox):
    schema = write("schema.sql", SCHEMA + "\n-- lock timeout case\n")
    up = write("up.sql", "ALTER TABLE public.events ADD COLUMN note text;\n")
    from dbagent.sandbox import load_schema
    template = load_schema(sandbox, schema.read_text(), str(schema))
    sandbox.drop_database(sandbox.take_clone(template))  # and a spare copy is made for the next run
    for thread in sandbox._refills:
        thread.join()
    spare = sandbox._spares[template][0]  # the clone the next run takes: hold a conflicting lock in it
    holder = sandbox.admin(spare)
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE public.events IN ACCESS SHARE MODE")
    result = dry_run([up], schema=schema, lock_timeout="100ms")
    holder.close()  # already terminated: the run drops its clone WITH (FORCE)
    assert result.dry_run.statements[0].sqlstate == "55P03"
    assert "lock timeout" in result.dry_run.statements[0].message


def test_bad_duration_is_a_user_error(write):
    import pytest
    from dbagent.errors import UserError
    with pytest.raises(UserError, match="not a duration"):
        dry_run([write("up.sql", "SELECT 1;\n")], statement_timeout="1s -c fsync=on")


def test_monitoring_roles_can_be_granted_but_not_used_by_the_migrator(write, sandbox):
    """A monitoring migration grants pg_monitor to its own role; the migrator holds ADMIN only."""
    up = write("up.sql", "CREATE ROLE dbagent_test_monitor NOLOGIN;\nGRANT pg_monitor TO dbagent_test_monitor;\n")
    down = write("down.sql", "DROP ROLE dbagent_test_monitor;\n")
    result = dry_run([up], rollback=[down])
    assert result.status == "verified", result.failure
    with sandbox.admin() as conn:
        grants = conn.execute(
            "select r.rolname, m.admin_option, m.inherit_option, m.set_option from pg_auth_members m "
            "join pg_roles r on r.oid = m.roleid where m.member = %s::regrole", [sandbox.migrator]).fetchall()
    predefined = {row[0]: row[1:] for row in grants if row[0].startswith("pg_")}
    assert predefined == {name: (True, False, False) for name in
                          ("pg_monitor", "pg_read_all_stats", "pg_read_all_settings", "pg_stat_scan_tables")}


def test_roles_a_migration_creates_do_not_outlive_its_dry_run(write, sandbox):
    """Roles are server-wide; the re-apply step leaves them behind unless the dry-run drops them."""
    up = write("up.sql", "CREATE ROLE dbagent_test_reporting NOLOGIN;\n")
    down = write("down.sql", "DROP ROLE dbagent_test_reporting;\n")
    assert dry_run([up], rollback=[down]).status == "verified"
    assert dry_run([up], rollback=[down]).status == "verified"  # would fail: role already exists
    assert "dbagent_test_reporting" not in sandbox.role_names()
