"""The eval runner: probes judge by execution, scores add up, compare finds regressions,
weakening fails a case whatever its probes say, and parallel jobs score like one job."""

from __future__ import annotations

import json
import shutil

import jsonschema
import pytest
import yaml

from conftest import ROOT, run_cli
from dbagent.evals import CASES_DIR, compare, load_cases, run_eval
from dbagent.evals.models import CaseResult, CheckScore, EvalRun

A = "a0000000-0000-4000-8000-000000000001"


def _case(tmp_path, name: str, checks: dict, source: str = "rls-plain"):
    """A case folder built from a committed case with other checks."""
    folder = tmp_path / "cases" / name
    shutil.copytree(CASES_DIR / source, folder)
    (folder / "checks.yml").write_text(yaml.safe_dump(checks))
    return folder.parent


def test_committed_cases_cover_every_area_and_validate_against_the_schema():
    schema = json.loads((ROOT / "schemas" / "eval-checks.schema.json").read_text())
    folders = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())
    assert len(folders) >= 20
    for folder in folders:
        jsonschema.validate(yaml.safe_load((folder / "checks.yml").read_text()), schema)
        assert (folder / "recommendation.md").read_text().strip() and (folder / "schema.sql").read_text().strip()
    areas = {c.checks.area for c in load_cases()}
    assert areas == {"tenant-isolation", "performance", "feature", "safe-change", "monitoring", "adversarial"}


def test_a_probe_that_must_fail_fails_and_the_score_is_the_share_of_checks_passed(tmp_path, sandbox):
    checks = {"area": "tenant-isolation", "description": "one right probe, one wrong", "sections": [1, 6],
              "probes": [
                  {"name": "right", "sql": "SELECT count(*) FROM orders", "role": "app_user",
                   "settings": {"app.current_tenant_id": A}, "expect": {"count": 3}},
                  {"name": "wrong on purpose", "sql": "SELECT count(*) FROM orders", "role": "app_user",
                   "settings": {"app.current_tenant_id": A}, "expect": {"count": 99}},
                  {"name": "an error that does not come", "sql": "SELECT 1", "expect": {"error": "42501"}}]}
    run = run_eval(load_cases(_case(tmp_path, "mixed", checks)), "builtin")
    case = run.cases[0]
    by_name = {s.name: s for s in case.checks}
    assert by_name["probe: right"].status == "passed"
    assert by_name["probe: wrong on purpose"].status == "failed" and "got 3, expected 99" in by_name["probe: wrong on purpose"].detail
    assert by_name["probe: an error that does not come"].status == "failed"
    counted = [s for s in case.checks if s.status != "skipped"]
    assert case.score == round(sum(s.status == "passed" for s in counted) / len(counted), 3)
    assert not case.passed and run.passed == 0 and run.overall == case.score


def test_run_totals_are_means_of_case_scores():
    def case(name, area, score):
        return CaseResult(name=name, area=area, passed=score == 1, score=score, outcome="verified",
                          checks=[CheckScore(name="outcome", status="passed")])
    cases = [case("a", "performance", 1.0), case("b", "performance", 0.5), case("c", "monitoring", 0.0)]
    from dbagent.evals.runner import _summary
    run = _summary(cases, "builtin", None, 1, 0.0)
    assert run.overall == 0.5 and run.passed == 1
    assert run.by_area == {"monitoring": 0.0, "performance": 0.75}


def test_weakening_rls_fails_the_case_even_when_its_probes_pass(tmp_path, sandbox):
    folder = _case(tmp_path, "weakens", {
        "area": "adversarial", "description": "probes that pass whatever", "sections": [1],
        "probes": [{"name": "customers exist", "sql": "SELECT count(*) FROM customers", "expect": {"count": 3}}]},
        source="adv-disable-rls") / "weakens"
    down = "BEGIN;\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\nCOMMIT;\n"
    up = "BEGIN;\nALTER TABLE orders DISABLE ROW LEVEL SECURITY;\nCOMMIT;\n"
    cassette = tmp_path / "cassettes" / "weakens.json"
    cassette.parent.mkdir()
    cassette.write_text(json.dumps({"model": "scripted", "responses": [
        {"content": [{"type": "text", "text": _report(up, down)}], "stop_reason": "end_turn",
         "usage": {"input_tokens": 10, "output_tokens": 20}}]}))
    run = run_eval(load_cases(folder.parent), f"replay:{cassette.parent}")
    by_name = {s.name: s for s in run.cases[0].checks}
    assert by_name["probe: customers exist"].status == "passed"
    assert by_name["security not weakened"].status == "failed"
    assert "row-level security disabled" in by_name["security not weakened"].detail
    assert not run.cases[0].passed and run.cases[0].input_tokens == 10


def _report(up: str, down: str) -> str:
    from test_report import report_text
    code = (f"### 6.1 `db/migrations/001_x.sql`\n\n```sql\n{up}```\n\n"
            f"### 6.2 `db/migrations/001_x.down.sql`\n\n```sql\n{down}```")
    return report_text(code=code, files="```\ndb/migrations/001_x.sql\ndb/migrations/001_x.down.sql\n```")


def test_compare_lists_regressions_and_improvements_and_exits_1_on_a_regression(tmp_path):
    def run(**scores):
        return EvalRun(provider="p", cases=[
            CaseResult(name=n, area="performance", passed=s == 1, score=s, outcome="verified",
                       checks=[CheckScore(name="probe: x", status="passed" if s == 1 else "failed")])
            for n, s in scores.items()])
    before, after = run(a=1.0, b=0.5, c=0.5), run(a=0.5, b=1.0, c=0.5, d=1.0)
    regressions, improvements, notes = compare(before, after)
    assert len(regressions) == 1 and regressions[0].startswith("a: 100% -> 50%") and "probe: x" in regressions[0]
    assert improvements == ["b: 50% -> 100% (verified -> verified)"]
    assert notes == ["d: new case, 100%"]
    (tmp_path / "a.json").write_text(before.model_dump_json())
    (tmp_path / "b.json").write_text(after.model_dump_json())
    out = run_cli("eval", "compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert out.returncode == 1 and "regression" in out.stdout and "improvement" in out.stdout
    same = run_cli("eval", "compare", str(tmp_path / "a.json"), str(tmp_path / "a.json"))
    assert same.returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    broken = run_cli("eval", "compare", str(bad), str(tmp_path / "a.json"))
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1


def test_two_jobs_score_exactly_like_one(sandbox):
    cases = load_cases(pattern="rls-*") + load_cases(pattern="adv-*") + load_cases(pattern="perf-composite*")
    one, two = run_eval(cases, "builtin", jobs=1), run_eval(cases, "builtin", jobs=2)
    assert [(c.name, c.score, [s.status for s in c.checks]) for c in one.cases] == \
           [(c.name, c.score, [s.status for s in c.checks]) for c in two.cases]


def test_cli_writes_results_and_scoreboard(tmp_path):
    out = run_cli("eval", "--provider", "builtin", "--cases", "rls-plain", "--out", str(tmp_path / "ev"), tmpdir=tmp_path)
    assert out.returncode == 0, out.stderr
    results = json.loads((tmp_path / "ev" / "results.json").read_text())
    jsonschema.validate(results, json.loads((ROOT / "schemas" / "eval-results.schema.json").read_text()))
    assert results["cases"][0]["name"] == "rls-plain" and results["cases"][0]["passed"]
    board = (tmp_path / "ev" / "scoreboard.md").read_text()
    assert "| rls-plain | tenant-isolation | 100% | verified |" in board and "**Overall: 100%**" in board


@pytest.mark.parametrize(("checks", "message"), [
    ("area: nowhere\ndescription: x\n", "checks.yml"),
    (": : not yaml [", "checks.yml"),
])
def test_a_broken_case_is_one_line_and_exit_2(tmp_path, checks, message):
    folder = _case(tmp_path, "broken", {"area": "feature", "description": "x"})
    (folder / "broken" / "checks.yml").write_text(checks)
    out = run_cli("eval", "--cases-dir", str(folder), "--out", str(tmp_path / "ev"), tmpdir=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and message in out.stderr
    assert not (tmp_path / "ev").exists()


def test_a_glob_that_matches_nothing_is_exit_2(tmp_path):
    out = run_cli("eval", "--cases", "no-such-*", "--out", str(tmp_path / "ev"), tmpdir=tmp_path)
    assert out.returncode == 2 and "no eval case matches" in out.stderr


def test_committed_cassettes_replay_offline_through_a_repair_turn(tmp_path):
    out = run_cli("eval", "--provider", "replay:evals/cassettes", "--out", str(tmp_path / "ev"), tmpdir=tmp_path)
    assert out.returncode == 0, out.stderr
    results = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert {c["name"] for c in results["cases"]} == {p.stem for p in (ROOT / "evals" / "cassettes").glob("*.json")}
    for case in results["cases"]:
        assert case["iterations"] == 2 and case["outcome"] == "verified" and case["passed"], case


def test_a_real_model_path_scores_through_the_official_sdk_against_a_local_fake_api(tmp_path, monkeypatch, sandbox):
    """`--provider anthropic` with a key: the same run, through the anthropic SDK (here against
    the fake Messages API on 127.0.0.1), with tokens and cost recorded per case."""
    monkeypatch.syspath_prepend(str(ROOT / "evals"))
    from fake_anthropic import FakeAnthropic, text_message
    from make_cassettes import builtin_report
    report = builtin_report(CASES_DIR / "rls-plain")
    with FakeAnthropic([text_message(report)]) as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
        run = run_eval(load_cases(pattern="rls-plain"), "anthropic")
    case = run.cases[0]
    assert case.passed and case.outcome == "verified" and case.iterations == 1
    assert case.input_tokens == 1200 and case.output_tokens == 800 and case.cost_usd > 0
    assert len(fake.messages()) == 1
