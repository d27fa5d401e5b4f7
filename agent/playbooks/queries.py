"""What a query asks of each table it reads, analysed with sqlglot.

For each table: the columns compared for equality (filters and join keys), the range
columns (<, >, BETWEEN, row comparisons of keyset pagination), the sort keys, jsonb
containment (`@>`), `->>` lookups, substring searches (`ILIKE '%...%'`), constant
`IS NULL` predicates, the selected columns, and a deep OFFSET. Names are resolved
against the schema's catalog, so an unqualified column lands on the table that has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from dbagent.lint._catalog import Catalog


@dataclass
class Access:
    table: str                                   # the catalog's qualified name
    equal: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    contains: list[str] = field(default_factory=list)
    json_keys: list[tuple[str, str]] = field(default_factory=list)
    substring: list[str] = field(default_factory=list)
    null_checks: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    offset: int = 0


def _add(items: list, value) -> None:
    if value not in items:
        items.append(value)


class _Query:
    def __init__(self, tree: exp.Expression, cat: Catalog) -> None:
        self.cat = cat
        self.aliases: dict[str, str] = {}
        for table in tree.find_all(exp.Table):
            name = f"{table.db or 'public'}.{table.name}"
            if cat.table(name) is not None:
                self.aliases[table.alias_or_name] = name
        self.access = {name: Access(name) for name in dict.fromkeys(self.aliases.values())}

    def table_of(self, column: exp.Column) -> str | None:
        if column.table:
            return self.aliases.get(column.table)
        having = [t for t in self.access if column.name in self.cat.table(t).columns]
        return having[0] if len(having) == 1 else None

    def column(self, node) -> tuple[str, str] | None:
        """(table, column) when `node` is a column of a known table."""
        if isinstance(node, exp.Column) and (table := self.table_of(node)):
            return table, node.name
        return None


def _comparison(q: _Query, node: exp.Expression) -> None:
    left, right = node.this, node.expression
    if isinstance(node, exp.EQ):
        join = q.column(left) is not None and q.column(right) is not None
        for side, other in ((left, right), (right, left)):
            if join and (found := q.column(side)) and q.cat.table(found[0]).primary_key == (found[1],):
                continue  # a join reaches this side by its primary key, which is indexed already
            if isinstance(side, exp.JSONExtractScalar) and (found := q.column(side.this)):
                key = next((p.this for p in side.expression.expressions if isinstance(p, exp.JSONPathKey)), None)
                if key:
                    _add(q.access[found[0]].json_keys, (found[1], key))
            elif found := q.column(side):
                _add(q.access[found[0]].equal, found[1])
        return
    tuple_side = left if isinstance(left, exp.Tuple) else right if isinstance(right, exp.Tuple) else None
    for side in (tuple_side.expressions if tuple_side is not None else (left, right)):
        if found := q.column(side):
            _add(q.access[found[0]].ranges, found[1])


def analyse(sql: str, cat: Catalog) -> list[Access]:
    """One Access per catalog table the query reads; [] when sqlglot cannot parse it."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.ParseError:
        return []
    if tree is None:
        return []
    q = _Query(tree, cat)
    for node in tree.find_all(exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE):
        _comparison(q, node)
    for node in tree.find_all(exp.Between):
        if found := q.column(node.this):
            _add(q.access[found[0]].ranges, found[1])
    for node in tree.find_all(exp.In):
        if found := q.column(node.this):
            _add(q.access[found[0]].equal, found[1])
    for node in tree.find_all(exp.ArrayContainsAll):
        if found := q.column(node.this):
            _add(q.access[found[0]].contains, found[1])
    for node in tree.find_all(exp.ILike, exp.Like):
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.this.startswith("%") and (found := q.column(node.this)):
            _add(q.access[found[0]].substring, found[1])
    for node in tree.find_all(exp.Is):
        if isinstance(node.expression, exp.Null) and not isinstance(node.parent, exp.Not) \
                and (found := q.column(node.this)):
            _add(q.access[found[0]].null_checks, found[1])
    for ordered in tree.find_all(exp.Ordered):
        if found := q.column(ordered.this):
            _add(q.access[found[0]].order, found[1])
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is not None:
        for projection in select.expressions:
            if found := q.column(projection.unalias() if isinstance(projection, exp.Alias) else projection):
                _add(q.access[found[0]].selected, found[1])
        offset = select.args.get("offset")
        if offset is not None and isinstance(offset.expression, exp.Literal):
            for access in q.access.values():
                access.offset = int(offset.expression.this)
    for access in q.access.values():  # a column compared for equality is not also a range
        access.ranges = [c for c in access.ranges if c not in access.equal]
    return list(q.access.values())
