"""Property tests: untrusted text never makes the psql interpreter or the file reader crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from dbagent.errors import InputFileError
from dbagent.inputs import read_text_file
from dbagent.sandbox._psql import PsqlInterpreter, ScriptError
from dbagent.sandbox._statements import classify

from conftest import FIXTURES

CORPUS = (FIXTURES / "schemas" / "supplier-products-rls.sql").read_text()
PIECES = ["'", '"', "$$", "$tag$", "--", "/*", "*/", ";", "(", ")", "\\", "\\if true\n", "\\endif\n",
          ":x", ":'x'", ':"x"', "::", "E'\\'", "\n", "\\set x 1\n", "\\gset\n", "\\else\n"]


def _run(text: str) -> list[str]:
    sent: list[str] = []

    def run_sql(unit, lines):
        sent.append(unit.sql)
        unit.origin(len(unit.sql), lines)  # position mapping must work for every position
        classify(unit.sql)
        return None

    try:
        PsqlInterpreter(run_sql, {"x": "v"}).run(text, "fuzz.sql")
    except ScriptError:
        pass
    return sent


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_splits_or_reports(text):
    _run(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=5), max_size=40))
def test_psql_tokens_in_any_order_split_or_report(pieces):
    _run("".join(pieces))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(CORPUS)), st.integers(0, 400), st.text(max_size=20))
def test_mutated_corpus_schema_splits_or_reports(start, length, insert):
    _run(CORPUS[:start] + insert + CORPUS[start + length:])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused_with_a_user_error(tmp_path, data):
    path = tmp_path / "input.sql"
    path.write_bytes(data)
    try:
        text = read_text_file(path, "migration")
    except InputFileError as exc:
        assert str(exc).startswith(f"migration {path}: ")
    else:
        assert text.strip() and "\x00" not in text
