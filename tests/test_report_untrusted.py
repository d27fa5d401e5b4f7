"""Property tests: any mutation of a real report gives a Report or a ReportParseError, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from dbagent.errors import ReportParseError
from dbagent.report import parse_report, render_report

from conftest import FIXTURES

REPORT = (FIXTURES / "reports" / "supplier-products-rls.md").read_text()
LINES = REPORT.splitlines(keepends=True)
SECTIONS = REPORT.split("\n## ")
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse(text: str) -> None:
    try:
        report = parse_report(text)
    except ReportParseError as err:
        assert err.problems and all(p.message for p in err.problems)
        return
    assert parse_report(render_report(report)) == report


@FAST
@given(st.lists(st.integers(0, len(LINES) - 1), max_size=60))
def test_deleted_lines(drop):
    gone = set(drop)
    _parse("".join(line for i, line in enumerate(LINES) if i not in gone))


@FAST
@given(st.permutations(range(len(SECTIONS))))
def test_shuffled_sections(order):
    _parse("\n## ".join(SECTIONS[i] for i in order))


@FAST
@given(st.integers(0, len(REPORT)))
def test_truncated_anywhere(cut):
    _parse(REPORT[:cut])


@FAST
@given(st.integers(0, len(REPORT)), st.text(max_size=30), st.integers(0, 50))
def test_random_insertions_and_removed_fences(at, insert, fence_to_drop):
    text = REPORT[:at] + insert + REPORT[at:]
    fences = [i for i in range(len(text)) if text.startswith("```", i)]
    if fences:
        k = fences[fence_to_drop % len(fences)]
        text = text[:k] + text[k + 3:]
    _parse(text)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_any_text(text):
    _parse(text)
