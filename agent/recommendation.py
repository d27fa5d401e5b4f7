"""A recommendation's optional YAML front matter (JSON Schema in schemas/recommendation.schema.json).

Free markdown is always accepted; the front matter makes a recommendation precise for
machines: what kind of change, which tables, which queries it must serve, structured
findings, and for new features a sketch of the tables.
"""

from __future__ import annotations

import re
from typing import Literal

import yaml
from markdown_it import MarkdownIt
from pglast import ast, parse_sql
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dbagent.errors import UserError

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


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


def front_matter(text: str) -> RecommendationFrontMatter | None:
    """The recommendation's front matter, or None when it has none (or none that validates)."""
    m = _FRONT.match(text.lstrip())
    if not m:
        return None
    try:
        return RecommendationFrontMatter.model_validate(yaml.safe_load(m.group(1)) or {})
    except (yaml.YAMLError, ValidationError):
        return None


_QUERY_NODES = (ast.SelectStmt, ast.UpdateStmt, ast.DeleteStmt)


def queries_of(text: str) -> list[str]:
    """The queries a change must serve: the front matter's, then every SELECT, UPDATE or DELETE
    in the recommendation's SQL code blocks (DDL in them is the analyzer's suggestion, not a query)."""
    found: list[str] = list((fm.queries if (fm := front_matter(text)) else []))
    for token in MarkdownIt().parse(text):
        if token.type != "fence" or token.info.strip().lower() not in ("sql", "postgresql", "psql", "pgsql", ""):
            continue
        try:
            statements = parse_sql(token.content)
        except Exception:  # noqa: BLE001 - a block PostgreSQL's grammar rejects holds no usable query
            continue
        for raw, sql in zip(statements, _texts(token.content, statements)):
            if isinstance(raw.stmt, _QUERY_NODES) and not (isinstance(raw.stmt, ast.SelectStmt) and not raw.stmt.fromClause):
                found.append(sql.rstrip(";").strip())
    return list(dict.fromkeys(q for q in found if q))


def split_queries(text: str) -> list[str]:
    """The statements of a --queries file, as PostgreSQL's grammar splits them."""
    try:
        statements = parse_sql(text)
    except Exception as exc:  # noqa: BLE001 - pglast's ParseError names the position
        raise UserError(f"queries file: not SQL PostgreSQL accepts ({str(exc).splitlines()[0]})") from None
    return _texts(text, statements)


def _texts(text: str, statements) -> list[str]:
    """Each parsed statement's own text (pglast gives byte offsets; the last has no length)."""
    data = text.encode()
    return [data[r.stmt_location or 0:(r.stmt_location or 0) + r.stmt_len if r.stmt_len else None].decode().strip()
            for r in statements]
