"""The report parser on real model output, on every heading and file-naming style the issue
names, its located problems, golden files, and render/parse round trips."""

from __future__ import annotations

import hashlib
import json

import jsonschema
import pytest

from dbagent.errors import ReportParseError
from dbagent.report import Report, parse_report, render_report
from dbagent.report.models import (Classification, Code, Deployment, FileEntry, FilesStructure,
                                   ImplementationPlan, Maintenance, Metric, Phase, Requirements,
                                   RollbackProcedures, SqlArtifact, SuccessMetrics, Summary, Validation)

from conftest import ROOT
from golden_reports import cases, expected_path, golden

UP = "CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);\n"
DOWN = "DROP TABLE IF EXISTS notes;\n"
TITLES = ["Implementation Classification", "Database Implementation Summary", "Requirements Analysis",
          "Database Files Structure", "Implementation Plan", "Complete Database Implementation Code",
          "Pre-Implementation Validation", "Deployment Strategy", "Success Metrics", "Maintenance Plan",
          "Rollback Procedures"]


def report_text(style: str = "## {n}. {t}", code: str | None = None, files: str | None = None,
                order: list[int] | None = None, rollback: str = "1. Run the down file.") -> str:
    """A small complete report in a given heading style."""
    bodies = {
        1: "**🔥 HIGH** — tenant data is exposed.",
        2: "**Objective.** Isolate notes per tenant.\n\n**Scope.** One table.",
        3: "**Functional**\n\n- Tenants see only their notes.\n\n**Non-functional**\n\n- No downtime.",
        4: files if files is not None else "```\ndb/migrations/001_notes.sql       # the table\n"
                                           "db/migrations/001_notes.down.sql  # its rollback\n```",
        5: "1. **Apply**\n   - run 001",
        6: code if code is not None else f"### `db/migrations/001_notes.sql`\n\n```sql\n{UP}```\n\n"
                                         f"**File: `db/migrations/001_notes.down.sql`**\n\n```sql\n{DOWN}```",
        7: "**Schema**\n\n- [x] notes does not exist yet",
        8: "**Staging**\n\n1. apply\n\n**Production**\n\n1. apply at night",
        9: "| Metric | Target | How measured |\n|---|---|---|\n| leaks | 0 | SELECT count(*) FROM notes |",
        10: "- Weekly: check the policies.",
        11: rollback,
    }
    return "# Notes\n\n" + "\n\n".join(f"{style.format(n=n, t=TITLES[n - 1])}\n\n{bodies[n]}"
                                       for n in (order or range(1, 12))) + "\n"


def problems_of(text: str) -> list[str]:
    with pytest.raises(ReportParseError) as err:
        parse_report(text)
    return [p.message for p in err.value.problems]


# --- real model output --------------------------------------------------------------------

@pytest.mark.parametrize("path", cases(), ids=lambda p: p.stem)
def test_corpus_report_matches_its_golden_file(path):
    expected = json.loads(expected_path(path).read_text())
    assert expected["_source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), \
        "the report changed: run python tests/golden_reports.py"
    assert golden(path)["report"] == expected["report"], "parser output changed: review, then regenerate"


@pytest.mark.parametrize("path", cases(), ids=lambda p: p.stem)
def test_corpus_report_is_complete_and_round_trips(path):
    report = parse_report(path.read_text())
    forward = report.artifacts("up", "up-nontransactional")
    assert forward and report.artifacts("down")
    assert all(a.sql.strip() and a.sql in path.read_text() for a in report.code.artifacts)  # never invented
    assert report.classification.level in ("CRITICAL", "HIGH")
    assert report.summary.objective and report.metrics.metrics and report.validation.items
    assert parse_report(render_report(report)) == report
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(report.model_dump(mode="json"), schema)


def test_nontransactional_files_are_told_apart():
    text = (ROOT / "tests" / "fixtures" / "reports" / "supplier-products-rls.md").read_text()
    roles = {a.path.rsplit("/", 1)[-1]: a.role for a in parse_report(text).code.artifacts}
    assert roles["20251024_0900_supplier_products_rls_indexes.sql"] == "up-nontransactional"
    assert roles["20251024_0910_supplier_products_rls.sql"] == "up"
    assert roles["20251024_0910_supplier_products_rls.down.sql"] == "down"
    assert roles["supplier_products_rls.test.sql"] == "verify"
    assert roles["supplier_products_partner_read_suspend.sql"] == "script"


# --- heading styles ---------------------------------------------------------------------

@pytest.mark.parametrize("style", ["## {n}. {t}", "### {n}) {t}", "**{n}. {t}**", "# Section {n} — {t}",
                                   "## ✅ {n}. **{t}**:", "## {t}"])
def test_heading_styles(style):
    report = parse_report(report_text(style))
    assert report.classification.level == "HIGH"
    assert [a.path for a in report.code.artifacts] == ["db/migrations/001_notes.sql", "db/migrations/001_notes.down.sql"]
    assert report.requirements.functional == ["Tenants see only their notes."]
    assert report.requirements.non_functional == ["No downtime."]


def test_reordered_and_merged_sections():
    text = report_text(order=[2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    text = text.replace("## 10. Maintenance Plan", "## 10. Maintenance and Rollback Procedures")
    text = text.replace("## 11. Rollback Procedures\n\n1. Run the down file.\n", "")
    report = parse_report(text)
    assert report.classification.level == "HIGH"
    assert report.maintenance.body == report.rollback.body


# --- naming the file of a code block ----------------------------------------------------

@pytest.mark.parametrize("code", [
    pytest.param(f"```sql\n-- file: db/migrations/001_notes.sql\n{UP}```\n\n```sql\n-- db/migrations/001_notes.down.sql\n{DOWN}```",
                 id="first-line-comment"),
    pytest.param(f"```sql db/migrations/001_notes.sql\n{UP}```\n\n```sql title=001_notes.down.sql\n{DOWN}```",
                 id="info-string"),
    pytest.param(f"```sql\n-- ===== 001_notes.sql =====\n{UP}\n-- ===== 001_notes.down.sql =====\n{DOWN}```",
                 id="several-files-in-one-block"),
    pytest.param(f"`db/migrations/001_notes.sql`:\n\n```\n{UP}```\n\n### 6.2 Rollback: `001_notes.down.sql`\n\n```sql\n{DOWN}```",
                 id="backticked-line-and-heading-no-language"),
])
def test_file_names_given_in_every_usual_way(code):
    report = parse_report(report_text(code=code))
    statements = lambda sql: "".join(l for l in sql.splitlines(keepends=True) if l.strip() and not l.startswith("--"))  # noqa: E731
    assert statements(report.artifact("db/migrations/001_notes.sql").sql) == UP  # naming comments stay
    assert statements(report.artifact("db/migrations/001_notes.down.sql").sql) == DOWN
    assert report.artifact("db/migrations/001_notes.down.sql").role == "down"


def test_rollback_given_only_in_section_11():
    code = f"### `db/migrations/001_notes.sql`\n\n```sql\n{UP}```"
    rollback = f"1. Run:\n\n**File: `db/migrations/001_notes.down.sql`**\n\n```sql\n{DOWN}```\n\n```sql\nSELECT count(*) FROM notes;\n```"
    report = parse_report(report_text(code=code, rollback=rollback))
    down = report.artifact("db/migrations/001_notes.down.sql")
    assert (down.role, down.section) == ("down", 11)
    assert report.rollback.validation_queries == ["SELECT count(*) FROM notes;"]


def test_concurrently_file_is_nontransactional():
    files = "- `db/migrations/002_idx.sql`\n- `db/migrations/002_idx.down.sql`"
    code = ("**File: `db/migrations/002_idx.sql`**\n\n```sql\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON notes (tenant_id);\n```\n\n"
            "**File: `db/migrations/002_idx.down.sql`**\n\n```sql\nDROP INDEX CONCURRENTLY IF EXISTS i;\n```")
    report = parse_report(report_text(files=files, code=code))
    assert report.artifact("db/migrations/002_idx.sql").role == "up-nontransactional"


# --- problems, addressed to the author --------------------------------------------------

def test_missing_section_is_named_with_the_heading_to_add():
    text = report_text().replace("## 9. Success Metrics\n", "")
    text = text.replace("| Metric | Target | How measured |\n|---|---|---|\n| leaks | 0 | SELECT count(*) FROM notes |\n\n", "")
    assert problems_of(text) == ["section 9 (Success Metrics) is missing: add a heading '## 9. Success Metrics'"]


def test_listed_file_without_code():
    code = f"### `db/migrations/001_notes.sql`\n\n```sql\n{UP}```"
    assert problems_of(report_text(code=code)) == [
        "section 4 lists db/migrations/001_notes.down.sql but no code block gives it: add it to section 6 "
        "under a heading or line that names the file",
        "db/migrations/001_notes.sql has no rollback: give db/migrations/001_notes.down.sql (in section 6 "
        "or 11) that undoes it"]


def test_two_different_blocks_for_one_file():
    code = (f"### `db/migrations/001_notes.sql`\n\n```sql\n{UP}```\n\n### `db/migrations/001_notes.sql` again\n\n"
            f"```sql\nSELECT 1;\n```\n\n### `db/migrations/001_notes.down.sql`\n\n```sql\n{DOWN}```")
    [message] = problems_of(report_text(code=code))
    assert message.startswith("section 6 has two different blocks for db/migrations/001_notes.sql (lines ")


def test_no_classification_and_unnamed_code_are_problems_not_guesses():
    text = report_text(code=f"```sql\n{UP}```").replace("**🔥 HIGH** — tenant data is exposed.", "Urgent.")
    found = problems_of(text)
    assert found[0].startswith("section 1 gives no classification")
    assert "section 6 gives no SQL file" in found[1]


# --- built in code --------------------------------------------------------------------

def test_report_built_in_code_renders_and_parses_back():
    built = Report(
        title="Notes",
        classification=Classification(level="MEDIUM", rationale="new feature"),
        summary=Summary(objective="Store notes.", scope="One table.", risk_assessment="Low."),
        requirements=Requirements(functional=["store notes"], non_functional=["no downtime"]),
        files=FilesStructure(files=[FileEntry(path="db/001_notes.sql", purpose="the table", kind="migration", apply_order=1),
                                    FileEntry(path="db/001_notes.down.sql", purpose="rollback", kind="rollback", apply_order=1)]),
        plan=ImplementationPlan(phases=[Phase(name="Apply", steps=["run 001"])]),
        code=Code(artifacts=[SqlArtifact(path="db/001_notes.sql", role="up", sql=UP),
                             SqlArtifact(path="db/001_notes.down.sql", role="down", sql=DOWN)]),
        validation=Validation(items=[]),
        deployment=Deployment(staging=["apply"], production=["apply at night"]),
        metrics=SuccessMetrics(metrics=[Metric(name="leaks", target="0", measured_by="SELECT 1", query="SELECT 1")]),
        maintenance=Maintenance(tasks=["check weekly"]),
        rollback=RollbackProcedures(steps=["run the down file"]),
    )
    back = parse_report(render_report(built))
    for field in ("classification", "summary", "requirements", "files", "plan", "code", "validation",
                  "deployment", "metrics", "maintenance", "rollback"):
        assert getattr(back, field).model_dump(exclude={"body"}) == getattr(built, field).model_dump(exclude={"body"}), field
    assert parse_report(render_report(back)) == back


def test_crlf_and_lone_cr_line_ends_parse_like_lf():
    """markdown-it reads \\r\\n and \\r as line ends; hypothesis found a lone \\r broke the round trip."""
    lf = parse_report(report_text())
    assert parse_report(report_text().replace("\n", "\r\n")) == lf
    assert parse_report(report_text().replace("\n", "\r")) == lf
