"""The sandbox's evidence, as strict pydantic models (they cross into results and JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LockTaken(_Strict):
    """A lock a statement held on a relation that existed before the migration."""

    relation: str
    mode: str


class StatementOutcome(_Strict):
    """What happened to one SQL statement or psql meta-command."""

    phase: Literal["schema", "up", "down", "reapply"]
    file: str
    line: int
    column: int
    kind: Literal["sql", "meta"] = "sql"
    statement: str = Field(description="the statement's text, whitespace collapsed, cut at 240 characters")
    status: Literal["ok", "error", "ignored", "refused", "unsupported"]
    sqlstate: str | None = None
    message: str | None = None
    error_line: int | None = Field(None, description="file line of the error position, when PostgreSQL gave one")
    error_column: int | None = None
    duration_ms: float = 0.0
    in_transaction: bool = False
    lock_capture: Literal["exact", "sampled", "none"] = "exact"
    locks: list[LockTaken] = Field(default_factory=list)
    rewrote: list[str] = Field(default_factory=list, description="pre-existing relations whose storage was rewritten")
    notices: list[str] = Field(default_factory=list)


class CatalogChange(_Strict):
    """One difference between two catalog snapshots."""

    kind: str
    name: str
    change: Literal["added", "removed", "changed"]
    fields: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                              description="for changed objects: field -> {before, after}")

    def describe(self) -> str:
        if self.change != "changed":
            return f"{self.kind} {self.name} {self.change}"
        return f"{self.kind} {self.name} changed ({', '.join(sorted(self.fields))})"


class RollbackProof(_Strict):
    """up -> down restores the pre-migration catalog, and up applies again afterwards."""

    proved: bool
    differences: list[CatalogChange] = Field(default_factory=list,
                                             description="catalog after rollback vs before the migration")
    reapplied: bool = False
    reapply_differences: list[CatalogChange] = Field(default_factory=list,
                                                     description="catalog after up->down->up vs after the first up")


class StepOutcome(_Strict):
    name: str
    status: Literal["ok", "failed", "skipped"]
    duration_ms: float = 0.0
    detail: str = ""


class SqlFile(_Strict):
    path: str
    role: Literal["up", "up-nontransactional", "down", "verify"]
    sha256: str


class VerifyCheck(_Strict):
    """One behavioural check run on the migrated clone: what was tried and what happened."""

    name: str = Field(description="what was checked, e.g. 'public.orders: tenant A sees only its rows'")
    kind: Literal["data", "isolation", "index", "lock", "object"]
    status: Literal["passed", "failed", "warning", "skipped"]
    evidence: str = Field("", description="what the sandbox observed, in one or two lines")
    subject: str | None = Field(None, description="the table, index, query or object checked")
    passed: bool = Field(False, description="status is not failed (warnings and skips do not fail a run)")

    @model_validator(mode="after")
    def _passed(self) -> "VerifyCheck":
        self.passed = self.status != "failed"
        return self


class LockEntry(_Strict):
    """One statement's strongest lock on a table that existed before the migration."""

    file: str
    line: int
    statement: str
    relation: str
    mode: str
    blocks: Literal["nothing", "writes", "reads and writes"]
    rewrote: bool
    rows: float | None = Field(None, description="estimated rows (from the source database when given)")
    bytes: int | None = None
    size_source: Literal["source", "sandbox"] = "sandbox"
    risk: Literal["low", "medium", "high"]
    safe_alternative: str | None = None


class DataSummary(_Strict):
    """The synthetic rows put into the clone before the migration ran."""

    tenants: list[str] = Field(default_factory=list, description="tenant key values the rows are spread over")
    rows: dict[str, int] = Field(default_factory=dict, description="table -> rows inserted")
    notes: list[str] = Field(default_factory=list, description="tables that could not be (fully) filled, and why")


class DryRunResult(_Strict):
    """Everything a dry-run observed: statements, catalog changes, rollback proof, steps."""

    passed: bool
    server: str = Field(description="embedded or external, with the PostgreSQL version")
    files: list[SqlFile] = Field(default_factory=list)
    statements: list[StatementOutcome] = Field(default_factory=list)
    changes: list[CatalogChange] = Field(default_factory=list, description="what the migration changed")
    rollback: RollbackProof | None = None
    steps: list[StepOutcome] = Field(default_factory=list)
    data: DataSummary | None = Field(None, description="synthetic data, when verification ran")
    checks: list[VerifyCheck] = Field(default_factory=list, description="behavioural checks after the migration")
    locks: list[LockEntry] = Field(default_factory=list, description="lock report for pre-existing tables")
    output: list[str] = Field(default_factory=list, description="what the scripts echoed")
    failure: str | None = Field(None, description="one line: why the dry-run did not pass")
