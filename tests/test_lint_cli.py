"""`dbagent lint` and `dbagent rules` as a user runs them: exit codes, formats, configuration."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dbagent.cli import app
from dbagent.lint import LintReport, SqlSource, lint, rule_docs
from dbagent.lint._output import render_rules_markdown
from dbagent.lint.rules import GROUPS

from conftest import FIXTURES, ROOT, run_cli

SCHEMA = FIXTURES / "lint" / "doc_schema.sql"
runner = CliRunner()

CLEAN = "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_region_idx ON orders (tenant_id, region);\n"
WARNING_ONLY = "DELETE FROM sessions;\n"
ERRORS = "CREATE INDEX orders_region_idx ON orders (tenant_id, region);\nCOPY orders TO PROGRAM 'id';\n"


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize(("sql", "fail_on", "code"), [
    (CLEAN, "error", 0), (WARNING_ONLY, "error", 0), (WARNING_ONLY, "warning", 1), (ERRORS, "error", 1)])
def test_exit_code_follows_the_failure_threshold(write, sql, fail_on, code):
    up = write("001.sql", sql)
    down = write("001.down.sql", "DROP INDEX CONCURRENTLY IF EXISTS orders_region_idx;\n")
    result = invoke("lint", str(up), str(down), "--schema", str(SCHEMA), "--fail-on", fail_on)
    assert result.exit_code == code, result.output


def test_text_output_names_file_line_column_rule_and_hint(write):
    up = write("001.sql", "SELECT 1;\n" + ERRORS)
    result = invoke("lint", str(up), "--schema", str(SCHEMA))
    assert f"{up}:2:1: error index-not-concurrent: index orders_region_idx on existing table public.orders" \
        in result.output
    assert f"{up}:3:1: error copy-program:" in result.output
    assert "hint: use CREATE INDEX CONCURRENTLY" in result.output
    assert result.output.rstrip().splitlines()[-1].startswith("1 file(s), 3 statement(s): 2 error(s)")


def test_json_output_is_the_library_report(write):
    up = write("001.sql", ERRORS)
    result = invoke("lint", str(up), "--schema", str(SCHEMA), "--format", "json")
    report = LintReport.model_validate_json(result.stdout)
    expected = lint([SqlSource(name=str(up), text=ERRORS)], SCHEMA.read_text())
    assert report == expected


def test_sarif_output_is_a_valid_2_1_0_log(write):
    up = write("001.sql", ERRORS)
    log = json.loads(invoke("lint", str(up), "--schema", str(SCHEMA), "--format", "sarif").stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"index-not-concurrent", "copy-program"}
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]
            if r["ruleId"] == "copy-program"] == [2]


def test_pyproject_configuration_disables_reweights_and_renames_the_tenant_key(write, monkeypatch):
    project = write("proj/pyproject.toml", """
[tool.dbagent.lint]
disable = ["copy-program"]
severity = { "index-not-concurrent" = "warning" }
tenant_key = "org_id"
""")
    up = write("proj/db/001.sql", ERRORS + "CREATE TABLE notes (id bigint PRIMARY KEY, org_id bigint NOT NULL);\n")
    monkeypatch.chdir(project.parent)  # found as the nearest pyproject.toml
    result = invoke("lint", str(up), "--schema", str(SCHEMA), "--format", "json")
    rules = {f.rule: f.severity for f in LintReport.model_validate_json(result.stdout).findings}
    assert "copy-program" not in rules
    assert rules["index-not-concurrent"] == "warning"
    assert rules["tenant-table-rls-disabled"] == "error"  # notes has the configured key
    assert result.exit_code == 1


def test_unknown_rule_in_configuration_is_a_clear_usage_error(write):
    project = write("pyproject.toml", '[tool.dbagent.lint]\ndisable = ["index-not-concurent"]\n')
    up = write("001.sql", CLEAN)
    proc = run_cli("lint", str(up), "--config", str(project))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"dbagent: error: {project}: [tool.dbagent.lint] names unknown rule 'index-not-concurent' "
        "(did you mean index-not-concurrent?)"]


def test_ignore_directive_suppresses_with_a_reason_and_is_reported_without(write):
    up = write("001.sql", "-- dbagent:ignore copy-program exporting for the auditors, approved in OPS-12\n"
                          "COPY orders TO PROGRAM 'id';\n"
                          "-- dbagent:ignore copy-program\n"
                          "COPY orders TO PROGRAM 'id';\n")
    report = LintReport.model_validate_json(invoke("lint", str(up), "--format", "json").stdout)
    found = [(f.rule, f.line) for f in report.findings if f.group in ("sandbox", "meta")]
    assert found == [("ignore-without-reason", 3)]


@pytest.mark.parametrize("case", ["missing", "empty", "binary", "not-utf8", "directory"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, case):
    path = tmp_path / "in.sql"
    if case == "empty":
        path.write_text("  \n")
    elif case == "binary":
        path.write_bytes(b"CREATE\x00TABLE")
    elif case == "not-utf8":
        path.write_bytes(b"SELECT '\xff';")
    elif case == "directory":
        path.mkdir()
    proc = run_cli("lint", str(path))
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("dbagent: error: ")
    assert proc.stdout == ""


def test_rules_lists_every_rule_and_the_docs_page_has_not_drifted():
    listed = invoke("rules").stdout.splitlines()
    assert [line.split()[0] for line in listed] == [d.id for d in rule_docs()]
    page = (ROOT / "docs" / "lint-rules.md").read_text()
    assert page == render_rules_markdown(rule_docs(), GROUPS), \
        "regenerate: dbagent rules --format markdown > docs/lint-rules.md"


def test_an_input_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.sql"
    with big.open("wb") as f:
        f.truncate(21 * 1024 * 1024)  # sparse: 21 MB of NULs, over the 20 MB limit
    proc = run_cli("lint", str(big))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"dbagent: error: SQL file {big}: 22020096 bytes is over the limit of 20971520"
