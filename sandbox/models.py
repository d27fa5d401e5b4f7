"""The sandbox's evidence, as strict pydantic models (they cross into results and JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


class DryRunResult(_Strict):
    """Everything a dry-run observed: statements, catalog changes, rollback proof, steps."""

    passed: bool
    server: str = Field(description="embedded or external, with the PostgreSQL version")
    files: list[SqlFile] = Field(default_factory=list)
    statements: list[StatementOutcome] = Field(default_factory=list)
    changes: list[CatalogChange] = Field(default_factory=list, description="what the migration changed")
    rollback: RollbackProof | None = None
    steps: list[StepOutcome] = Field(default_factory=list)
    output: list[str] = Field(default_factory=list, description="what the scripts echoed")
    failure: str | None = Field(None, description="one line: why the dry-run did not pass")
