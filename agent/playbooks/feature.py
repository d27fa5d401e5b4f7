"""New feature tables from the recommendation's table sketches (front matter `table_sketches`).

Every fragment of a sketch (type, default, CHECK, reference) is untrusted text: each is
parsed with pglast as exactly one type or expression and written back from the parse tree,
so nothing but that fragment can reach the migration. Tables get a primary key (`id`),
their constraints and comments, an index per foreign key, `updated_at` maintenance when
they have that column, and (when tenant-scoped) the RLS suite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pglast import ast, parse_sql
from pglast.stream import RawStream

from dbagent.lint._catalog import Catalog
from dbagent.playbooks.rls import IndexPlan, ident, literal, unident
from dbagent.recommendation import TableSketch

_PART = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_REFERENCE = re.compile(rf"^\s*({_PART}(?:\.{_PART})?)\s*(?:\(\s*({_PART})\s*\))?\s*$")


class SketchError(ValueError):
    """A sketch fragment that is not one type or expression; the message says which."""


def _one(sql: str, what: str):
    try:
        statements = parse_sql(sql)
    except Exception:  # noqa: BLE001 - pglast's ParseError: the fragment is not SQL we accept
        raise SketchError(f"{what} is not valid SQL") from None
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        raise SketchError(f"{what} is not a single expression")
    return statements[0].stmt


def type_of(text: str, what: str) -> str:
    stmt = _one(f"SELECT NULL::{text}", what)
    cast = stmt.targetList[0].val if len(stmt.targetList or ()) == 1 else None
    if not isinstance(cast, ast.TypeCast) or stmt.fromClause or stmt.whereClause:
        raise SketchError(f"{what} is not a type")
    return RawStream()(cast.typeName)


def expression(text: str, what: str) -> str:
    stmt = _one(f"SELECT {text}", what)
    if len(stmt.targetList or ()) != 1 or stmt.fromClause or stmt.whereClause:
        raise SketchError(f"{what} is not a single expression")
    return RawStream()(stmt.targetList[0].val)


def condition(text: str, what: str) -> str:
    stmt = _one(f"SELECT 1 WHERE {text}", what)
    if stmt.fromClause or len(stmt.targetList) != 1:
        raise SketchError(f"{what} is not a single condition")
    return RawStream()(stmt.whereClause)


@dataclass
class ColumnPlan:
    name: str
    ident: str
    type: str
    nullable: bool
    default: str = ""
    unique: bool = False
    references: str = ""
    check: str = ""


@dataclass
class FeatureTable:
    name: str
    ident: str
    comment: str
    primary_key: str | None
    columns: list[ColumnPlan] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    indexes: list[IndexPlan] = field(default_factory=list)
    touch: str = ""
    touch_trigger: str = ""
    tenant_scoped: bool = True


def plan(sketches: list[TableSketch], cat: Catalog) -> list[FeatureTable]:
    """Tables to create; raises SketchError naming the fragment that is not acceptable."""
    tables = []
    for sketch in sketches:
        name = sketch.name if "." in sketch.name else f"public.{sketch.name}"
        if cat.table(name) is not None:
            raise SketchError(f"table {name} already exists")
        short = name.split(".", 1)[1]
        names = [c.name for c in sketch.columns]
        t = FeatureTable(name, ident(name), literal(f"{short}: created from the recommendation's table sketch."),
                         "id" if "id" in names else None, tenant_scoped=sketch.tenant_scoped)
        for c in sketch.columns:
            where = f"{name}.{c.name}"
            col = ColumnPlan(c.name, ident(c.name), type_of(c.type, f"{where} type"), c.nullable, unique=c.unique)
            if c.default:
                col.default = expression(c.default, f"{where} default")
            if c.check:
                col.check = condition(c.check, f"{where} check")
            if c.references:
                m = _REFERENCE.match(c.references)
                if not m:
                    raise SketchError(f"{where} references {c.references!r}: expected table(column)")
                target = unident(m.group(1))
                target = target if "." in target else f"public.{target}"
                if cat.table(target) is None and target not in {x.name for x in tables}:
                    raise SketchError(f"{where} references {target}, which does not exist")
                col.references = ident(target) + (f" ({ident(unident(m.group(2)))})" if m.group(2) else "")
                index = f"{short}_{c.name}_idx"[:63]
                t.indexes.append(IndexPlan(ident(index), ident(f"{name.split('.')[0]}.{index}"), ident(name),
                                           ident(c.name), f"foreign key {c.name}: joins and cascades need an index"))
            t.columns.append(col)
        t.checks = [condition(check, f"{name} check") for check in sketch.checks]
        if "updated_at" in names:
            t.touch = ident(f"{name}_set_updated_at")
            t.touch_trigger = ident(f"{short}_set_updated_at")
        tables.append(t)
    return tables
