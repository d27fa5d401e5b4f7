"""Query rewrites the index advisor's queries call for, as functions the application calls:

- N+1: when the recommendation says so and a query joins a child to its parent by a foreign
  key, a set-returning function loads the children of many parents in one query;
- deep OFFSET: a keyset-pagination function that pages by the query's sort keys (all in
  the same direction), starting after the last row seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from dbagent.lint._catalog import Catalog
from dbagent.playbooks.queries import analyse
from dbagent.playbooks.rls import ident, sql_type

def _type(cat: Catalog, table: str, column: str) -> str:
    return sql_type(cat.table(table).columns[column].type)


@dataclass
class FunctionPlan:
    name: str          # quoted, qualified
    signature: str     # for COMMENT/DROP
    sql: str           # CREATE FUNCTION ...
    why: str


def batch_loaders(queries: list[str], cat: Catalog, text: str, key: str) -> list[FunctionPlan]:
    """One function per child-parent pair the queries join (not by the tenant key), when the
    text reports N+1."""
    if "n+1" not in text.lower() and "per row" not in text.lower() and "once per" not in text.lower():
        return []
    plans, seen = [], set()
    for sql in queries:
        for a in analyse(sql, cat):
            child = cat.table(a.table)
            for fk in child.foreign_keys:
                parent = cat.table(fk.target)
                if len(fk.columns) != 1 or fk.columns[0] not in a.equal or parent is None or fk.columns[0] == key \
                        or len(parent.primary_key) != 1 or (a.table, fk.target) in seen:
                    continue
                seen.add((a.table, fk.target))
                schema, short = a.table.split(".", 1)
                parent_short = fk.target.split(".", 1)[1]
                name = ident(f"{schema}." + f"{short}_for_{parent_short}"[:63])
                key_type = _type(cat, fk.target, parent.primary_key[0])
                column = ident(fk.columns[0])
                plans.append(FunctionPlan(name, f"{name}({key_type}[])", (
                    f"CREATE FUNCTION {name}(p_ids {key_type}[]) RETURNS SETOF {ident(a.table)}\n"
                    f"LANGUAGE sql STABLE SET search_path = pg_catalog AS $$\n"
                    f"    SELECT c.* FROM {ident(a.table)} c WHERE c.{column} = ANY (p_ids) ORDER BY c.{column}\n$$;\n"
                    f"COMMENT ON FUNCTION {name}({key_type}[]) IS "
                    f"'Loads the {short} of many {parent_short} in one query (replaces one query per row).';\n"),
                    f"N+1: the {short} of a page of {parent_short} in one call instead of one query per row"))
    return plans


def keyset_pages(queries: list[str], cat: Catalog) -> list[FunctionPlan]:
    """A keyset-pagination function for each query that pages with a deep OFFSET."""
    plans = []
    for number, sql in enumerate(queries, 1):
        tree = sqlglot.parse_one(sql, read="postgres")
        select = tree.find(exp.Select) if tree else None
        accesses = analyse(sql, cat)
        if select is None or len(accesses) != 1 or accesses[0].offset <= 1000:
            continue
        a = accesses[0]
        order = select.args.get("order")
        keys = [(o.this.name, bool(o.args.get("desc"))) for o in (order.expressions if order else ())
                if isinstance(o.this, exp.Column)]
        if not keys or len({d for _, d in keys}) != 1 or any(c not in cat.table(a.table).columns for c, _ in keys):
            continue
        schema, short = a.table.split(".", 1)
        name = ident(f"{schema}." + f"{short}_page_{number}"[:63])
        filters = [c for c in a.equal]
        arg_types = [_type(cat, a.table, c) for c in filters] + [_type(cat, a.table, c) for c, _ in keys]
        params = [f"p_{c} {t}" for c, t in zip(filters, arg_types)] + \
                 [f"p_after_{c} {t}" for (c, _), t in zip(keys, arg_types[len(filters):])] + ["p_limit integer DEFAULT 50"]
        op = "<" if keys[0][1] else ">"
        where = [f"t.{ident(c)} = p_{c}" for c in filters]
        where.append(f"({', '.join('t.' + ident(c) for c, _ in keys)}) {op} "
                     f"({', '.join('p_after_' + c for c, _ in keys)})")
        order_by = ", ".join(f"t.{ident(c)}{' DESC' if d else ''}" for c, d in keys)
        types = ", ".join([*arg_types, "integer"])
        plans.append(FunctionPlan(name, f"{name}({types})", (
            f"CREATE FUNCTION {name}({', '.join(params)}) RETURNS SETOF {ident(a.table)}\n"
            f"LANGUAGE sql STABLE SET search_path = pg_catalog AS $$\n"
            f"    SELECT t.* FROM {ident(a.table)} t\n     WHERE {' AND '.join(where)}\n"
            f"     ORDER BY {order_by}\n     LIMIT p_limit\n$$;\n"
            f"COMMENT ON FUNCTION {name}({types}) IS 'Keyset pagination for query {number}: pass the last row''s "
            f"{', '.join(c for c, _ in keys)}.';\n"),
            f"query {number}: OFFSET {a.offset} replaced by keyset pagination on {', '.join(c for c, _ in keys)}"))
    return plans
