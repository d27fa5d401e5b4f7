"""Verification catches planted mistakes and passes their corrections (tests/fixtures/verify/cases.yml).

Every case runs a real dry-run in the sandbox with verification on: synthetic rows, then the
migration, then the checks. A case lists the checks it must produce and their status.
"""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import FIXTURES, run_cli
from dbagent.sandbox import Script, VerifyOptions, dry_run

SCHEMAS = yaml.safe_load((FIXTURES / "verify" / "schemas.yml").read_text())
CASES = yaml.safe_load((FIXTURES / "verify" / "cases.yml").read_text())


def _run(sandbox, case: dict, **options):
    sizes = {name: tuple(value) for name, value in (case.get("sizes") or {}).items()}
    up = [Script("up.sql", case["up"])]
    down = [Script("down.sql", case["down"], role="down")] if case.get("down") else []
    return dry_run(sandbox, Script("schema.sql", SCHEMAS[case["schema"]]), up, down,
                   verify_with=VerifyOptions(queries=tuple(case.get("queries", ())), sizes=sizes, **options))


@pytest.mark.parametrize("name", sorted(CASES))
def test_planted_mistakes_fail_and_corrections_pass(sandbox, name):
    case = CASES[name]
    result = _run(sandbox, case)
    got = {c.name: c for c in result.checks}
    for check, status in case["expect"].items():
        assert check in got, f"{name}: no check {check!r}; got {sorted(got)}"
        assert got[check].status == status, f"{name}: {check}: {got[check].status}: {got[check].evidence}"
    assert result.passed is case["passed"], result.failure
    if case.get("down") and case["passed"]:
        assert result.rollback.proved and result.rollback.reapplied
    for c in result.checks:
        assert c.passed == (c.status != "failed")


def test_synthetic_rows_cover_every_table_over_two_tenants_and_honour_constraints(sandbox):
    result = _run(sandbox, CASES["rls_correct"])
    data = result.data
    assert len(data.tenants) >= 2 and not data.notes
    assert data.rows == {"public.tenants": 3, "public.projects": 200, "public.tasks": 200}
    step = next(s for s in result.steps if s.name == "seed_data")
    assert step.status == "ok" and "403 rows in 3 tables" in step.detail


def test_data_dependent_failures_surface_before_production(sandbox):
    case = {"schema": "uuid_public", "up": "alter table projects alter column tenant_id set not null;\n"}
    result = _run(sandbox, case)
    assert not result.passed
    assert "contains null values" in result.failure and "synthetic rows" in result.failure
    unique = {"schema": "uuid_public", "up": "create unique index on projects (tenant_id, name);\n"}
    assert "could not create unique index" in _run(sandbox, unique).failure


def test_a_table_that_cannot_be_filled_is_named_with_the_reason(sandbox):
    case = {"schema": "uuid_public", "up": "select 1;\n"}
    schema = SCHEMAS["uuid_public"] + "create table odd (id int primary key, shape point not null);\n"
    result = dry_run(sandbox, Script("schema.sql", schema), [Script("up.sql", case["up"])],
                     verify_with=VerifyOptions())
    assert any(n.startswith("public.odd: could not be filled") and "point" in n for n in result.data.notes)
    assert result.passed  # an unfilled table is a note, not a failure


def test_the_schemas_own_isolation_failures_are_not_blamed_on_an_unrelated_migration(sandbox):
    schema = SCHEMAS["uuid_public"] + CASES["using_true"]["up"]
    result = dry_run(sandbox, Script("schema.sql", schema),
                     [Script("up.sql", "create index projects_name on projects (name);\n")],
                     verify_with=VerifyOptions())
    leak = next(c for c in result.checks if c.name == "public.projects: tenant A sees only its own rows")
    assert leak.status == "warning" and "as before the migration" in leak.evidence
    assert result.passed


def test_a_larger_row_count_makes_the_clone_large_enough_to_fail_a_rewrite(sandbox):
    case = dict(CASES["rewrite_of_a_large_table"], sizes=None)
    result = _run(sandbox, case, rows=500, large_rows=400)
    entry = next(e for e in result.locks if e.relation == 'crm."Deals"')
    assert entry.rewrote and entry.size_source == "sandbox" and entry.rows >= 400
    assert entry.risk == "high" and "backfill" in entry.safe_alternative
    assert not result.passed


def test_cli_verifies_by_default_and_no_verify_skips_it(write, tmp_path):
    schema = write("schema.sql", SCHEMAS["uuid_public"])
    up = write("up.sql", CASES["index_range_before_equality"]["up"])
    queries = write("queries.sql", CASES["index_range_before_equality"]["queries"][0] + ";\n")
    run = run_cli("dryrun", str(up), "--schema", str(schema), "--queries", str(queries), "--json", tmpdir=tmp_path)
    assert run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)
    failed = [c for c in doc["dry_run"]["checks"] if not c["passed"]]
    assert failed and failed[0]["name"].endswith("columns in the order query 1 needs")
    assert set(failed[0]) >= {"name", "passed", "evidence"}
    skipped = run_cli("dryrun", str(up), "--schema", str(schema), "--no-verify", "--json", tmpdir=tmp_path)
    assert skipped.returncode == 0, skipped.stderr
    doc = json.loads(skipped.stdout)
    assert doc["dry_run"]["checks"] == [] and doc["dry_run"]["data"] is None
    assert any("--no-verify" in w for w in doc["warnings"])


def test_cli_text_output_shows_the_checks(write, tmp_path):
    schema = write("schema.sql", SCHEMAS["uuid_public"])
    up = write("up.sql", CASES["using_true"]["up"])
    run = run_cli("dryrun", str(up), "--schema", str(schema), tmpdir=tmp_path)
    assert run.returncode == 1
    assert "FAIL isolation public.projects: tenant A sees only its own rows" in run.stdout
    assert "synthetic data: 403 rows in 3 tables" in run.stdout


def test_a_queries_file_that_is_not_sql_is_one_line_and_exit_2(write, tmp_path):
    schema = write("schema.sql", SCHEMAS["uuid_public"])
    up = write("up.sql", "select 1;\n")
    bad = write("queries.sql", "selec nonsense from;\n")
    run = run_cli("dryrun", str(up), "--schema", str(schema), "--queries", str(bad), tmpdir=tmp_path)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "queries file" in run.stderr


def test_lock_report_takes_table_sizes_from_the_source_database(sandbox, write):
    """--schema-from-dsn: the source's statistics say the table is large, so a rewrite fails the run;
    the clone itself only ever holds synthetic rows."""
    from dbagent import dry_run as api_dry_run
    name = sandbox.create_database("source")
    try:
        with sandbox.admin(name) as conn:
            conn.execute("CREATE TABLE public.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                         "amount numeric(12,2) NOT NULL)")
            conn.execute("INSERT INTO public.events (amount) SELECT g FROM generate_series(1, 120000) g")
            conn.execute("ANALYZE public.events")
        up = write("up.sql", "ALTER TABLE public.events ALTER COLUMN amount TYPE bigint;\n")
        result = api_dry_run([up], schema_from_dsn=sandbox.server.conninfo(name))
    finally:
        sandbox.drop_database(name)
    entry = next(e for e in result.dry_run.locks if e.relation == "public.events")
    assert entry.size_source == "source" and entry.rows >= 100_000 and entry.bytes > 0
    assert entry.rewrote and entry.risk == "high" and entry.mode == "ACCESS EXCLUSIVE"
    assert result.status == "failed" and "ACCESS EXCLUSIVE on public.events" in result.failure
    assert "backfill" in result.failure


def test_a_schema_that_creates_a_role_another_schema_already_named_still_loads(sandbox):
    """Roles are server-wide: a long-lived sandbox (MCP, evals) loads schemas that share role names."""
    first = dry_run(sandbox, Script("a.sql", "CREATE TABLE a1 (id int);\nGRANT SELECT ON a1 TO shared_reader;\n"),
                    [Script("up.sql", "SELECT 1;\n")])
    second = dry_run(sandbox, Script("b.sql", "CREATE ROLE shared_reader NOLOGIN;\nCREATE TABLE b1 (id int);\n"
                                              "GRANT SELECT ON b1 TO shared_reader;\n"), [Script("up.sql", "SELECT 1;\n")])
    assert first.passed and second.passed, second.failure
