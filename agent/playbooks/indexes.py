"""The index advisor: indexes derived from the queries a recommendation must serve.

Per table a query reads (see queries.analyse): a btree on its equality columns (tenant key
first), then one range column, then the sort keys; a partial index when the query keeps a
constant `IS NULL`; GIN with `jsonb_path_ops` for `@>`; an expression index for `->>`
lookups; a pg_trgm GIN for `ILIKE '%...%'`; INCLUDE of the selected columns when that
makes the scan index-only for a few columns. An index the schema already has (same leading
columns) is not repeated. Every index names the query it serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dbagent.lint import LintConfig
from dbagent.lint._catalog import Catalog
from dbagent.playbooks.queries import Access, analyse
from dbagent.playbooks.rls import IndexPlan, ident, literal, sql_type, unident

MAX_INCLUDE = 3


@dataclass
class SearchPlan:
    """A ranked search function for a column searched by substring."""

    function: str
    signature: str
    table: str
    schema: str
    column: str
    key: str
    key_type: str
    tenant: str | None
    tenant_type: str | None
    document: list[str] = field(default_factory=list)   # text columns ranked by full-text search

    def document_sql(self, alias: str = "t.") -> str:
        """The tsvector expression; the GIN index is built on exactly this (without the alias)."""
        parts = " || ' ' || ".join(f"coalesce({alias}{ident(c)}, '')" for c in self.document)
        return f"to_tsvector('simple'::regconfig, {parts})"


@dataclass
class IndexAdvice:
    indexes: list[IndexPlan] = field(default_factory=list)
    searches: list[SearchPlan] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)   # to create first (pg_trgm)
    served: dict[str, list[int]] = field(default_factory=dict)  # index name -> query numbers
    notes: list[str] = field(default_factory=list)        # queries or tables nothing was done for, and why


def _name(table: str, parts: list[str], suffix: str = "idx") -> tuple[str, str]:
    schema, short = table.split(".", 1)
    name = f"{short}_{'_'.join(parts)}_{suffix}"[:63]
    return ident(name), ident(f"{schema}.{name}")


def _covered(cat: Catalog, table: str, columns: tuple[str, ...]) -> bool:
    return any(i.columns[:len(columns)] == columns and not i.partial and i.method == "btree"
               for i in cat.indexes_on(table))


def _btree(a: Access, cat: Catalog, key: str, number: int) -> IndexPlan | None:
    equal = sorted(a.equal, key=lambda c: c != key)           # the tenant key leads
    columns = equal + a.ranges[:1] + [c for c in a.order if c not in equal and c not in a.ranges[:1]]
    if not columns:
        return None
    if _covered(cat, a.table, tuple(columns)):
        return None
    where = " AND ".join(f"{ident(c)} IS NULL" for c in a.null_checks if c not in columns)
    rest = [c for c in a.selected if c not in columns]
    include = ", ".join(ident(c) for c in rest) if rest and len(rest) <= MAX_INCLUDE and a.selected else ""
    name, qualified = _name(a.table, columns + (["partial"] if where else []))
    parts = [f"{c} =" for c in equal] + [f"{c} range" for c in a.ranges[:1]] + [f"sorted by {c}" for c in a.order]
    why = (f"query {number}: {', '.join(parts)} on {a.table}: equality columns first, then the range, then the sort"
           + (f"; partial for {where}" if where else "") + ("; INCLUDE makes it index-only" if include else ""))
    return IndexPlan(name, qualified, ident(a.table), ", ".join(ident(c) for c in columns), why,
                     include=include, where=where)


def search_function(cat: Catalog, table: str, column: str, key: str) -> SearchPlan | None:
    """A ranked-search function for `table`.`column`, keyed by its single-column primary key."""
    t = cat.table(table)
    if t is None or len(t.primary_key) != 1:
        return None
    schema, short = table.split(".", 1)
    pk = t.primary_key[0]
    tenant = key if key in t.columns else None
    function = ident(f"{schema}." + f"search_{short}"[:63])
    tenant_type = sql_type(t.columns[key].type) if tenant else None
    args = ", ".join(([tenant_type] if tenant else []) + ["text", "integer"])
    document = [column] + [c for c in ("description", "body", "summary", "title") if c in t.columns and c != column
                           and t.columns[c].type in ("text", "varchar")]
    return SearchPlan(function, f"{function}({args})", ident(table), ident(schema), column, pk,
                      sql_type(t.columns[pk].type), tenant, tenant_type, document)


def fulltext_index(plan: SearchPlan) -> IndexPlan:
    """The expression GIN index the search function's full-text condition uses."""
    name, qualified = _name(unident(plan.table), [plan.column, "fts"], "idx")
    return IndexPlan(name, qualified, plan.table, f"({plan.document_sql('')})",
                     f"full-text search in {plan.function}: an expression index, no new column, no rewrite",
                     method="gin")


def advise(queries: list[str], cat: Catalog, config: LintConfig) -> IndexAdvice:
    """Indexes for `queries` (in order; numbered from 1) on the schema in `cat`."""
    advice = IndexAdvice()
    key = config.tenant_key
    seen: dict[tuple, IndexPlan] = {}

    def add(plan: IndexPlan, number: int) -> None:
        signature = (plan.table, plan.method, plan.columns, plan.where)
        if signature not in seen:
            seen[signature] = plan
            advice.indexes.append(plan)
        advice.served.setdefault(seen[signature].name, []).append(number)

    for number, sql in enumerate(queries, 1):
        accesses = analyse(sql, cat)
        if not accesses:
            advice.notes.append(f"query {number}: no table of the schema found in it (or it does not parse)")
        for a in accesses:
            if a.offset > 1000:
                advice.notes.append(f"query {number}: OFFSET {a.offset} reads and discards every skipped row; "
                                    "page by the sort key instead (keyset pagination), which the index serves")
            for column in a.contains:
                name, qualified = _name(a.table, [column, "gin"], "idx")
                add(IndexPlan(name, qualified, ident(a.table), f"{ident(column)} jsonb_path_ops",
                              f"query {number}: {column} @> ... (jsonb containment): GIN with jsonb_path_ops, "
                              "smaller and faster than the default operator class when only @> is used",
                              method="gin"), number)
            for column in a.substring:
                if "pg_trgm" not in advice.extensions:
                    advice.extensions.append("pg_trgm")
                name, qualified = _name(a.table, [column, "trgm"], "idx")
                add(IndexPlan(name, qualified, ident(a.table), f"{ident(column)} gin_trgm_ops",
                              f"query {number}: {column} ILIKE '%...%' cannot use a btree; a trigram GIN serves "
                              "substring and similarity search", method="gin"), number)
            for column, json_key in a.json_keys:
                name, qualified = _name(a.table, [column, json_key], "idx")
                lead = f"{ident(key)}, " if key in a.equal else ""
                add(IndexPlan(name, qualified, ident(a.table), f"{lead}(({ident(column)} ->> {literal(json_key)}))",
                              f"query {number}: filters on {column} ->> '{json_key}': an expression index"), number)
            plan = _btree(a, cat, key, number)
            if plan is not None:
                add(plan, number)
    return advice
