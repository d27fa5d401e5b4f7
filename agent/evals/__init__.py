"""The eval suite: score a provider on realistic cases, graded by running their output."""

from dbagent.evals.models import CaseChecks, CaseResult, EvalRun
from dbagent.evals.runner import CASES_DIR, load_cases, run_eval, with_cassettes
from dbagent.evals.scoreboard import compare, load_run, scoreboard

__all__ = ["CASES_DIR", "CaseChecks", "CaseResult", "EvalRun", "compare", "load_cases", "load_run", "run_eval", "with_cassettes",
           "scoreboard"]
