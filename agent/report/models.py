"""The spec's 11-section report as pydantic models (JSON Schema in schemas/report.schema.json).

Every section keeps its markdown `body` (what the author wrote under the heading) beside the
structured fields read from it, so a report renders back to what was written and parses
again to an equal model. A report built in code leaves `body` empty; the renderer writes
one from the structured fields.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "MAINTENANCE"]
FileKind = Literal["migration", "rollback", "function", "view", "policy", "monitoring", "test", "script"]
ArtifactRole = Literal["up", "up-nontransactional", "down", "verify", "script"]
Area = Literal["schema", "security", "performance", "other"]

SECTION_TITLES = {
    1: "Implementation Classification",
    2: "Database Implementation Summary",
    3: "Requirements Analysis",
    4: "Database Files Structure",
    5: "Implementation Plan",
    6: "Complete Database Implementation Code",
    7: "Pre-Implementation Validation",
    8: "Deployment Strategy",
    9: "Success Metrics",
    10: "Maintenance Plan",
    11: "Rollback Procedures",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Section(_Strict):
    body: str = Field("", description="the section's markdown under its heading, as written")


class Classification(Section):
    level: Level
    rationale: str = ""


class Summary(Section):
    objective: str = ""
    scope: str = ""
    dependencies: str = ""
    risk_assessment: str = ""


class Requirements(Section):
    functional: list[str] = Field(default_factory=list)
    non_functional: list[str] = Field(default_factory=list)


class FileEntry(_Strict):
    path: str
    purpose: str = ""
    kind: FileKind
    apply_order: int | None = Field(None, description="1-based order among forward migrations, "
                                                       "or among rollbacks (applied in this order)")


class FilesStructure(Section):
    files: list[FileEntry] = Field(default_factory=list)


class Phase(_Strict):
    name: str
    steps: list[str] = Field(default_factory=list)


class ImplementationPlan(Section):
    phases: list[Phase] = Field(default_factory=list)


class SqlArtifact(_Strict):
    path: str
    role: ArtifactRole = Field(description="up: transactional forward; up-nontransactional: CONCURRENTLY "
                                           "and the like; down: rollback; verify: tests and checks; "
                                           "script: operational SQL that is not part of the migration")
    sql: str
    section: int = Field(6, description="the section the code was given in (6, or 11 for rollbacks)")


class Code(Section):
    artifacts: list[SqlArtifact] = Field(default_factory=list)


class ChecklistItem(_Strict):
    area: Area
    text: str
    checked: bool = False


class Validation(Section):
    items: list[ChecklistItem] = Field(default_factory=list)


class Deployment(Section):
    staging: list[str] = Field(default_factory=list)
    production: list[str] = Field(default_factory=list)


class Metric(_Strict):
    name: str
    target: str = ""
    measured_by: str = ""
    query: str | None = None


class SuccessMetrics(Section):
    metrics: list[Metric] = Field(default_factory=list)


class Alert(_Strict):
    name: str
    threshold: str = ""


class Maintenance(Section):
    tasks: list[str] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)


class RollbackProcedures(Section):
    steps: list[str] = Field(default_factory=list)
    validation_queries: list[str] = Field(default_factory=list)


class Report(_Strict):
    """An 11-section implementation report."""

    title: str = ""
    classification: Classification
    summary: Summary
    requirements: Requirements
    files: FilesStructure
    plan: ImplementationPlan
    code: Code
    validation: Validation
    deployment: Deployment
    metrics: SuccessMetrics
    maintenance: Maintenance
    rollback: RollbackProcedures

    def artifact(self, path: str) -> SqlArtifact | None:
        return next((a for a in self.code.artifacts if a.path == path), None)

    def artifacts(self, *roles: str) -> list[SqlArtifact]:
        """Artifacts of the given roles, in the order the report gives them."""
        return [a for a in self.code.artifacts if not roles or a.role in roles]

    def in_apply_order(self) -> tuple[list[SqlArtifact], list[SqlArtifact]]:
        """Forward files in section 4's apply order, and rollbacks in the reverse order of the
        files they undo (whatever order the report lists them in)."""
        listed = {e.path: e.apply_order for e in self.files.files}
        forward = sorted(self.artifacts("up", "up-nontransactional"), key=lambda a: listed.get(a.path) or 10_000)
        rank = {stem(a.path): k for k, a in enumerate(forward)}
        rollback = sorted(self.artifacts("down"), key=lambda a: -rank.get(stem(a.path), -1))
        return forward, rollback


_STEM_SUFFIXES = re.compile(r"([._-](up|down|rollback|undo|revert))$", re.I)


def stem(path: str) -> str:
    """A migration's name without extension and up/down suffix: pairs x.up.sql with x.down.sql."""
    name = PurePosixPath(path).name
    for ext in (".sql", ".psql", ".pgsql"):
        name = name.removesuffix(ext)
    return _STEM_SUFFIXES.sub("", name)


SECTION_FIELDS = {1: "classification", 2: "summary", 3: "requirements", 4: "files", 5: "plan", 6: "code",
                  7: "validation", 8: "deployment", 9: "metrics", 10: "maintenance", 11: "rollback"}


class ReportProblem(_Strict):
    """One thing missing or inconsistent, addressed to the report's author (often a model)."""

    section: int | None = Field(None, description="1-11, or None for the report as a whole")
    line: int | None = Field(None, description="1-based line in the report, when known")
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.message}"
