"""The Result: one verdict document for every command (JSON Schema in schemas/result.schema.json)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dbagent.lint.models import Finding
from dbagent.report.models import ReportProblem
from dbagent.sandbox.models import DryRunResult, SqlFile

RESULT_VERSION = "1"


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(**{k: getattr(self, k) + getattr(other, k) for k in Usage.model_fields})


class Attempt(BaseModel):
    """One iteration of the agent loop: what the model produced and what the checks found."""

    model_config = ConfigDict(extra="forbid")

    iteration: int
    status: Literal["verified", "failed", "refused"]
    failure: str | None = None
    checks: dict[str, bool] = Field(default_factory=dict,
                                    description="parsed, linted, dry_run, rollback_proved: passed or not")
    report_problems: list[ReportProblem] = Field(default_factory=list)
    lint: list[Finding] = Field(default_factory=list)
    dry_run: DryRunResult | None = None
    tool_calls: int = 0
    usage: Usage = Field(default_factory=Usage)


class Result(BaseModel):
    """What a run concluded and the evidence for it."""

    model_config = ConfigDict(extra="forbid")

    result_version: str = RESULT_VERSION
    command: Literal["implement", "check", "dryrun"]
    status: Literal["verified", "failed", "refused"] = Field(
        description="verified: everything ran and every proof held; failed: ran, not proven (see failure); "
                    "refused: dbagent would not run it")
    failure: str | None = Field(None, description="one line: why the status is not verified")
    classification: str | None = None
    provider: str | None = None
    model: str | None = None
    iterations: int = 0
    files: list[SqlFile] = Field(default_factory=list, description="SQL files in apply order")
    report_problems: list[ReportProblem] = Field(
        default_factory=list, description="what the report misses or contradicts (status failed)")
    lint: list[Finding] = Field(default_factory=list, description="lint findings on the SQL files")
    dry_run: DryRunResult | None = None
    attempts: list[Attempt] = Field(default_factory=list, description="implement: every iteration's evidence")
    out_dir: str | None = Field(None, description="implement: the run directory")
    layout: str | None = Field(None, description="implement --project: the migration tool written for, and why")
    project_files: list[str] = Field(default_factory=list, description="implement --project: files written")
    usage: Usage = Field(default_factory=Usage)
    timings_ms: dict[str, float] = Field(default_factory=dict, description="per stage")
    warnings: list[str] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "verified" else 1
