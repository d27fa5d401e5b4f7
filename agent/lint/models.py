"""What crosses the linter's boundary: inputs, configuration, findings, the report."""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "info"]
FileRole = Literal["up", "up-nontransactional", "down", "verify"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SqlSource(_Strict):
    """One SQL file to lint. `role` is guessed from the name when not given."""

    name: str
    text: str
    role: FileRole | None = None

    def effective_role(self) -> FileRole:
        if self.role:
            return self.role
        return "down" if is_rollback_name(self.name) else "up"


def is_rollback_name(name: str) -> bool:
    """Rollback by naming convention: x.down.sql, x_down.sql, x.rollback.sql, x.undo.sql,
    x.revert.sql, a down/, revert/ or rollback/ folder, or Flyway's U1__x.sql."""
    p = PurePath(name)
    stem = p.name.lower().removesuffix(".sql")
    suffixes = tuple(f"{sep}{word}" for sep in "._-" for word in ("down", "rollback", "undo", "revert"))
    folders = {part.lower() for part in p.parts[:-1]} & {"down", "revert", "rollback"}
    flyway_undo = p.name[:1] == "U" and p.name[1:2].isdigit() and "__" in p.name
    return stem.endswith(suffixes) or bool(folders) or flyway_undo


class LintConfig(_Strict):
    """`[tool.dbagent.lint]` in pyproject.toml; every key optional."""

    disable: list[str] = Field(default_factory=list, description="rule ids switched off")
    severity: dict[str, Severity] = Field(default_factory=dict, description="rule id -> severity")
    tenant_key: str = Field("tenant_id", description="the column that marks a tenant table")
    tenant_setting: str = Field("app.current_tenant_id",
                                description="the setting policies compare the tenant key with")
    admin_roles: list[str] = Field(default_factory=list,
                                   description="roles whose policies may see every tenant "
                                               "(besides any role whose name contains 'admin')")
    target_version: int = Field(18, ge=10, le=99, description="PostgreSQL major version deployed to")
    assume_in_transaction: bool = Field(False, description="the migration tool wraps each file in a "
                                                           "transaction (as squawk's --assume-in-transaction)")

    def is_admin_role(self, role: str) -> bool:
        return role in self.admin_roles or "admin" in role.lower()


class Finding(_Strict):
    """One problem at one place, with what to do about it."""

    rule: str
    group: str
    severity: Severity
    file: str
    line: int
    column: int
    message: str
    hint: str


class LintReport(_Strict):
    """Every finding of one lint run, in file and line order."""

    files: list[str]
    statements: int
    findings: list[Finding]

    def failed(self, fail_on: Literal["warning", "error"] = "error") -> bool:
        return any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in self.findings)

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] += 1
        return out


class RuleDoc(_Strict):
    """A rule as `dbagent rules` and the docs page describe it."""

    id: str
    group: str
    severity: Severity
    description: str
    hint: str
    bad: str
    good: str
