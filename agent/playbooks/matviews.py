"""Reporting aggregates as materialized views, when the recommendation asks for a report.

A query with GROUP BY and aggregates becomes a materialized view (re-written from pglast's
parse tree, never copied as text), with the unique index over its group keys that
`REFRESH ... CONCURRENTLY` needs, a refresh function, and, because a materialized view has
no row-level security, no access for PUBLIC and a tenant-filtering view in front of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast, parse_sql
from pglast.stream import RawStream

from dbagent.lint import LintConfig
from dbagent.lint._catalog import Catalog
from dbagent.playbooks.rls import _setting, ident

WORDS = ("report", "materialized", "precompute", "aggregate")


@dataclass
class ReportPlan:
    matview: str
    view: str | None          # tenant-filtering view, when the aggregate keeps the tenant key
    refresh: str
    query: str
    keys: list[str]           # output columns of the group keys: the unique index
    index: str
    filter: str
    why: str


def _sql(node) -> str:
    return RawStream()(node)  # a fresh stream per node: one instance keeps what it wrote


def _output_name(target: ast.ResTarget) -> str | None:
    if target.name:
        return target.name
    if isinstance(target.val, ast.ColumnRef) and isinstance(target.val.fields[-1], ast.String):
        return target.val.fields[-1].sval
    return None


def plan(queries: list[str], cat: Catalog, config: LintConfig, text: str) -> list[ReportPlan]:
    if not any(w in text.lower() for w in WORDS):
        return []
    plans = []
    for number, sql in enumerate(queries, 1):
        try:
            stmt = parse_sql(sql)[0].stmt
        except Exception:  # noqa: BLE001 - not a query pglast reads: nothing to build from
            continue
        if not isinstance(stmt, ast.SelectStmt) or not stmt.groupClause or not stmt.fromClause:
            continue
        outputs = {_sql(t.val): _output_name(t) for t in stmt.targetList}
        keys = [outputs.get(_sql(g)) for g in stmt.groupClause]
        if any(k is None for k in keys):
            continue  # a group key not in the select list: no unique index to refresh concurrently
        source = stmt.fromClause[0]
        if not isinstance(source, ast.RangeVar):
            continue
        table = f"{source.schemaname or 'public'}.{source.relname}"
        if cat.table(table) is None:
            continue
        schema, base = table.split(".", 1)
        name = f"{base}_report_{number}"
        tenant_type = cat.table(table).columns.get(config.tenant_key)
        keeps_tenant = config.tenant_key in keys and tenant_type is not None
        plans.append(ReportPlan(
            matview=ident(f"{schema}.{name}_mv"), view=ident(f"{schema}.{name}") if keeps_tenant else None,
            refresh=ident(f"{schema}.refresh_{name}"), query=_sql(stmt), keys=[ident(k) for k in keys],
            index=ident(f"{name}_mv_key"),
            filter=f"{ident(config.tenant_key)} = {_setting(config, tenant_type.type)}" if keeps_tenant else "",
            why=f"query {number} aggregates {table} on every request: precomputed, refreshed without blocking readers"))
    return plans
