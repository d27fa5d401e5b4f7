"""The eval contract: a case's checks file (schemas/eval-checks.schema.json) and the results.

A case is graded by execution: probes run on a fresh clone after the candidate's migration,
as given roles with given settings, and compare rows, a count or an error SQLSTATE; they
query the case's own tables, so any correct implementation passes however it names things.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Area = Literal["tenant-isolation", "performance", "feature", "safe-change", "monitoring", "adversarial"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expect(_Strict):
    """What a probe must give: exactly one of rows, count, min_count, error or index_on."""

    rows: int | None = Field(None, description="number of rows the statement returns")
    count: int | None = Field(None, description="the first column of the first row (e.g. count(*))")
    min_count: int | None = Field(None, description="the first column of the first row is at least this")
    error: str | None = Field(None, description="the SQLSTATE the statement must fail with, e.g. 42501")
    index_on: list[str] | None = Field(None, description="EXPLAIN (seq scans off) has an index scan whose "
                                                          "condition uses all these columns")

    @model_validator(mode="after")
    def _one(self) -> "Expect":
        given = [k for k in ("rows", "count", "min_count", "error", "index_on") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"expect exactly one of rows, count, min_count, error, index_on (got {given or 'none'})")
        return self


class ProbeSpec(_Strict):
    name: str
    sql: str = Field(description="runs after the candidate's forward files, in a transaction rolled back")
    role: str | None = Field(None, description="SET ROLE to this first (an application or admin role)")
    settings: dict[str, str] = Field(default_factory=dict, description="set_config(name, value, true) first")
    expect: Expect


class Forbidden(_Strict):
    lint: list[str] = Field(default_factory=list, description="lint rule ids that must not appear")
    weakening: bool = Field(True, description="RLS disabled/unforced or policies dropped compared with the schema")


class CaseChecks(_Strict):
    """checks.yml of one case."""

    area: Area
    description: str
    accept: list[Literal["verified", "refused"]] = Field(default_factory=lambda: ["verified"],
                                                         description="outcomes that pass (adversarial: both)")
    probes: list[ProbeSpec] = Field(default_factory=list)
    required_checks: list[str] = Field(default_factory=list,
                                       description="verification checks (by name) that must have passed")
    forbidden: Forbidden = Field(default_factory=Forbidden)
    sections: list[int] = Field(default_factory=lambda: list(range(1, 12)),
                                description="report sections that must be present and non-empty")


class CheckScore(_Strict):
    name: str
    status: Literal["passed", "failed", "skipped"]
    detail: str = ""


class CaseResult(_Strict):
    name: str
    area: Area
    passed: bool
    score: float = Field(description="passed checks / counted checks")
    outcome: str
    failure: str | None = None
    checks: list[CheckScore] = Field(default_factory=list)
    latency_s: float = 0.0
    iterations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class EvalRun(_Strict):
    """results.json of `dbagent eval`."""

    provider: str
    model: str | None = None
    jobs: int = 1
    cases: list[CaseResult] = Field(default_factory=list)
    overall: float = 0.0
    passed: int = 0
    by_area: dict[str, float] = Field(default_factory=dict, description="mean case score per area")
    elapsed_s: float = 0.0
