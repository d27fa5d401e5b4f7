"""A recommendation's optional YAML front matter (JSON Schema in schemas/recommendation.schema.json).

Free markdown is always accepted; the front matter makes a recommendation precise for
machines: what kind of change, which tables, which queries it must serve, structured
findings, and for new features a sketch of the tables.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindingRef(_Strict):
    """One structured finding, e.g. {rule: tenant-table-rls-disabled, table: supplier_products}."""

    rule: str
    table: str | None = None
    column: str | None = None
    detail: str | None = None


class ColumnSketch(_Strict):
    name: str
    type: str
    nullable: bool = True
    references: str | None = Field(None, description="table(column) this column points at")
    default: str | None = None
    check: str | None = None
    unique: bool = False


class TableSketch(_Strict):
    name: str
    columns: list[ColumnSketch]
    checks: list[str] = Field(default_factory=list)
    tenant_scoped: bool = True


class RecommendationFrontMatter(_Strict):
    """The YAML block between --- lines at the top of a recommendation."""

    kind: Literal["security", "performance", "feature", "monitoring"]
    severity: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "MAINTENANCE"] | None = None
    title: str | None = None
    tables: list[str] = Field(default_factory=list)
    queries: list[str] = Field(default_factory=list, description="SQL the change must serve")
    findings: list[FindingRef] = Field(default_factory=list)
    table_sketches: list[TableSketch] = Field(default_factory=list)
