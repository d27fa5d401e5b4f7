"""Property tests: any text or mutated SQL gives findings or a located parse error, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from dbagent.lint import LintReport, SqlSource, lint

from conftest import FIXTURES

SCHEMA = (FIXTURES / "schemas" / "supplier-products-rls.sql").read_text()
MIGRATION = (FIXTURES / "lint" / "corpus" / "rls_child_tables.sql").read_text()
PIECES = ["'", '"', "$$", "$f$", "--", "/*", "*/", ";", "(", ")", "\\", ":x", "::", "E'\\'", "\n",
          "BEGIN", "COMMIT", "CREATE POLICY p ON t USING (", "DO $$ BEGIN EXECUTE '", "-- dbagent:ignore ",
          "CREATE INDEX ON t (", "ALTER TABLE t ", "current_setting(", "ATOMIC", "END", "\\set x 1\n"]


def _lint(text: str) -> LintReport:
    report = lint([SqlSource(name="fuzz.sql", text=text), SqlSource(name="fuzz.down.sql", text=text)], SCHEMA)
    lines = text.count("\n") + 2
    for f in report.findings:
        assert 1 <= f.line <= lines and f.column >= 1 and f.message, f
    return report


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_lints(text):
    _lint(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=40))
def test_sql_fragments_in_any_order_lint(pieces):
    _lint(" ".join(pieces))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(MIGRATION)), st.integers(0, 200), st.text(max_size=20))
def test_mutated_migration_lints(start, length, insert):
    _lint(MIGRATION[:start] + insert + MIGRATION[start + length:])


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_any_decoded_bytes_lint(data):
    _lint(data.decode("utf-8", errors="replace"))
