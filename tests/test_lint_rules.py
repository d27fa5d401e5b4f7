"""Every lint rule, driven by data: tests/fixtures/lint/rules/<rule-id>.yml, one test per named case.

A case gives `fail_sql` (the rule must fire; `expect` may pin lines, columns, message text)
or `pass_sql` (the rule must stay silent); optional `schema` (default: doc_schema.sql),
`config` ([tool.dbagent.lint] keys) and `roles`. `-- file: NAME` lines split a case into files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dbagent.lint import ALL_RULES, LintConfig, SqlSource, lint, rule_docs

HERE = Path(__file__).parent / "fixtures" / "lint"
DOC_SCHEMA = (HERE / "doc_schema.sql").read_text()
RULE_FILES = sorted((HERE / "rules").glob("*.yml"))


def split_files(sql: str, roles: dict[str, str] | None = None) -> list[SqlSource]:
    """`-- file: NAME` markers split the text into files; a lone file is named 001.sql."""
    files: list[tuple[str, list[str]]] = [("001.sql", [])]
    for line in sql.splitlines():
        if line.startswith("-- file: "):
            files.append((line.removeprefix("-- file: ").strip(), []))
        else:
            files[-1][1].append(line)
    return [SqlSource(name=name, text="\n".join(lines) + "\n", role=(roles or {}).get(name))
            for name, lines in files if name != "001.sql" or any(l.strip() for l in lines)]


def _cases():
    for path in RULE_FILES:
        data = yaml.safe_load(path.read_text())
        for name, case in data["cases"].items():
            yield pytest.param(data["rule"], case, id=f"{data['rule']}::{name}")


@pytest.mark.parametrize(("rule_id", "case"), list(_cases()))
def test_rule_case(rule_id, case):
    unknown = set(case) - {"fail_sql", "pass_sql", "schema", "config", "roles", "expect"}
    assert not unknown, f"unknown keys {unknown}"
    sql = case.get("fail_sql", case.get("pass_sql"))
    report = lint(split_files(sql, case.get("roles")), case.get("schema", DOC_SCHEMA),
                  LintConfig.model_validate(case.get("config", {})))
    hits = [f for f in report.findings if f.rule == rule_id]
    if "pass_sql" in case:
        assert not hits, "\n".join(f"{f.line}:{f.column} {f.message}" for f in hits)
        return
    assert hits, f"{rule_id} did not fire; found {[f.rule for f in report.findings]}"
    for want in case.get("expect", []):
        assert any(f.line == want["line"] and f.column == want.get("column", f.column)
                   and want.get("message", "") in f.message for f in hits), \
            f"no finding at {want}; got {[(f.line, f.column, f.message) for f in hits]}"
    for f in hits:  # every finding is addressable and tells what to do
        assert f.line >= 1 and f.column >= 1 and f.message and f.hint


@pytest.mark.parametrize("doc", rule_docs(), ids=lambda d: d.id)
def test_documented_examples_behave_as_documented(doc):
    schema_needed = doc.id not in ("parse-error",)
    for sql, should_fire in ((doc.bad, True), (doc.good, False)):
        files = split_files(sql)
        if doc.id != "missing-down-migration":
            files.append(SqlSource(name="999.down.sql", text="SELECT 1;\n"))
        report = lint(files, DOC_SCHEMA if schema_needed else None)
        fired = any(f.rule == doc.id for f in report.findings)
        assert fired == should_fire, f"{'bad' if should_fire else 'good'} example of {doc.id}: {sql}"


def test_every_rule_has_docs_and_fixture_cases():
    fixtures = {p.stem: yaml.safe_load(p.read_text()) for p in RULE_FILES}
    ids = [r.id for r in ALL_RULES]
    assert len(ids) == len(set(ids)), "duplicate rule ids"
    assert set(fixtures) == set(ids), f"fixtures without rule or rule without fixture: {set(fixtures) ^ set(ids)}"
    for rule in ALL_RULES:
        doc = rule.doc()
        assert doc.id == fixtures[rule.id]["rule"]
        assert doc.description and doc.bad and doc.good and doc.hint, rule.id
        assert rule.id == rule.id.lower() and " " not in rule.id and "_" not in rule.id
        cases = fixtures[rule.id]["cases"].values()
        assert any("fail_sql" in c for c in cases) and any("pass_sql" in c for c in cases), rule.id


def test_exported_case_files_match_the_yaml():
    """tests/fixtures/lint/corpus/cases/ (read by squawk in the benchmark) is generated: no drift."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    from lint_corpus import CASES, rule_cases

    wanted = rule_cases()
    on_disk = {p.name: p.read_text() for p in CASES.glob("*.sql")}
    assert on_disk == wanted, "run: python benchmarks/lint_corpus.py export"
