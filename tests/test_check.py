"""`dbagent check` on reports written by models: parse, lint, dry-run with rollback proof."""

from __future__ import annotations

import json

import jsonschema
import pytest

from dbagent import check
from dbagent.result import Result

from conftest import FIXTURES, ROOT, run_cli
from test_report import DOWN, UP, report_text

RESULT_SCHEMA = json.loads((ROOT / "schemas" / "result.schema.json").read_text())


def test_model_written_monitoring_report_is_verified(sandbox):
    result = check(FIXTURES / "reports" / "monitoring-baseline.md",
                   schema=FIXTURES / "schemas" / "monitoring-baseline.sql")
    assert result.status == "verified", result.failure
    assert result.classification == "HIGH"
    roles = [(f.role, f.path.rsplit("/", 1)[-1]) for f in result.files]
    ups = [name for role, name in roles if role == "up"]
    downs = [name for role, name in roles if role == "down"]
    assert ups == sorted(ups) and ups[0].startswith("0164")
    assert downs == [name.replace(".sql", ".down.sql") for name in reversed(ups)]  # undo in reverse
    assert result.dry_run.rollback.proved and result.dry_run.rollback.reapplied
    assert not [f for f in result.lint if f.severity == "error"]


def test_lint_errors_fail_a_report_that_runs(sandbox):
    result = check(FIXTURES / "reports" / "supplier-rating-feature.md",
                   schema=FIXTURES / "schemas" / "supplier-rating-feature.sql")
    assert result.status == "failed"
    assert result.dry_run.passed and result.dry_run.rollback.proved  # the evidence is still there
    assert "lint found" in result.failure and "policy-always-true" in result.failure


def test_report_problems_stop_before_anything_runs(write):
    path = write("report.md", report_text(code=f"### `db/migrations/001_notes.sql`\n\n```sql\n{UP}```"))
    result = check(path, schema=FIXTURES / "lint" / "doc_schema.sql")
    assert result.status == "failed" and result.dry_run is None
    assert [p.section for p in result.report_problems] == [4, 11]
    assert result.failure.startswith("report: 2 problem(s), first: line ")


def test_sandbox_danger_is_refused_and_never_runs(write, tmp_path):
    canary = tmp_path / "canary"
    evil = f"CREATE TABLE notes (id bigint PRIMARY KEY);\nCOPY notes TO PROGRAM 'touch {canary}';\n"
    code = f"### `db/migrations/001_notes.sql`\n\n```sql\n{evil}```\n\n### `db/migrations/001_notes.down.sql`\n\n```sql\n{DOWN}```"
    result = check(write("report.md", report_text(code=code)), schema=FIXTURES / "lint" / "doc_schema.sql")
    assert result.status == "refused" and result.dry_run is None
    assert "copy-program" in result.failure and not canary.exists()


def test_without_a_schema_it_is_parsed_and_linted_only(write):
    result = check(write("report.md", report_text()))
    assert result.status == "failed" and result.dry_run is None and result.files
    assert result.failure.startswith("parsed and linted only")


def test_cli_json_is_one_valid_document_and_exit_codes_follow(write, sandbox):
    plain_table = ("### `db/migrations/001_tags.sql`\n\n```sql\nCREATE TABLE tags (id bigint PRIMARY KEY, name text);\n"
                   "COMMENT ON TABLE tags IS 'labels';\n```\n\n### `db/migrations/001_tags.down.sql`\n\n"
                   "```sql\nDROP TABLE IF EXISTS tags;\n```")
    files = "- `db/migrations/001_tags.sql`\n- `db/migrations/001_tags.down.sql`"
    ok = run_cli("check", str(write("ok.md", report_text(code=plain_table, files=files))),
                 "--schema", str(FIXTURES / "lint" / "doc_schema.sql"), "--json")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    jsonschema.validate(doc, RESULT_SCHEMA)
    assert Result.model_validate(doc).status == "verified"
    bad = run_cli("check", str(write("bad.md", "# nothing here\n")), "--json")
    assert bad.returncode == 1 and len(json.loads(bad.stdout)["report_problems"]) == 11


@pytest.mark.parametrize("case", ["missing", "binary"])
def test_bad_report_file_is_exit_2(tmp_path, case):
    path = tmp_path / "r.md"
    if case == "binary":
        path.write_bytes(b"\x00\x01")
    proc = run_cli("check", str(path))
    assert proc.returncode == 2 and proc.stderr.startswith("dbagent: error: report ") and not proc.stdout


WEAK_SCHEMA = ("CREATE TABLE docs (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);\n"
               "ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n"
               "CREATE POLICY docs_tenant ON docs USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::bigint));\n")


@pytest.mark.parametrize("allow", [False, True])
def test_weakening_tenant_isolation_fails_unless_allowed(write, sandbox, allow):
    up = "DROP POLICY docs_tenant ON docs;\nALTER TABLE docs DISABLE ROW LEVEL SECURITY;\n"
    down = ("ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY docs_tenant ON docs USING "
            "(tenant_id = (SELECT current_setting('app.current_tenant_id', true)::bigint));\n")
    code = (f"### `db/migrations/001_open.sql`\n\n```sql\n{up}```\n\n"
            f"### `db/migrations/001_open.down.sql`\n\n```sql\n{down}```")
    files = "- `db/migrations/001_open.sql`\n- `db/migrations/001_open.down.sql`"
    result = check(write("r.md", report_text(code=code, files=files)), schema=write("s.sql", WEAK_SCHEMA),
                   allow_weakening=allow)
    assert result.dry_run.passed and result.dry_run.rollback.proved
    if allow:
        assert result.status == "verified", result.failure
        assert any(f.rule == "rls-weakened" and f.severity == "warning" for f in result.lint)
    else:
        assert result.status == "failed"
        assert result.failure == ("weakens tenant isolation compared with the schema: policy "
                                  "public.docs.docs_tenant dropped and not replaced; public.docs: row-level security "
                                  "disabled (pass --allow-weakening if that is intended)")
