"""Index checks: EXPLAIN each query on the synthetic data with sequential scans disabled.

A query that still cannot use any index fails. An index the migration created that a
query uses with a range column ahead of an equality column fails (it reads every
tenant's rows in the range). Created indexes no query uses are reported, after a probe
on their own leading column shows whether they are usable at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import psycopg
from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind
from pglast.visitors import Visitor

from dbagent.sandbox.models import VerifyCheck
from dbagent.sandbox.verify._tables import ident
from dbagent.sandbox.verify._values import column_name

_INDEXES = """
select pg_catalog.format('%%I.%%I', n.nspname, c.relname), c.relname, t.oid, am.amname,
       array(select case when u.n = 0 then null else a.attname end from unnest(i.indkey) with ordinality u(n, o)
             left join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = u.n
             where u.o <= i.indnkeyatts order by u.o)::text[],
       pg_catalog.pg_get_expr(i.indpred, i.indrelid), pg_catalog.format('%%I.%%I', tn.nspname, t.relname)
  from pg_catalog.pg_index i
  join pg_catalog.pg_class c on c.oid = i.indexrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_class t on t.oid = i.indrelid
  join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
  join pg_catalog.pg_am am on am.oid = c.relam
 where pg_catalog.format('%%I.%%I', n.nspname, c.relname) = any(%s)
"""


@dataclass
class Index:
    qname: str
    name: str
    table_oid: int
    method: str
    columns: list[str | None]   # None for an expression
    predicate: str | None
    table: str


@dataclass
class Predicates:
    equal: set[str] = field(default_factory=set)
    range: set[str] = field(default_factory=set)


class _Where(Visitor):
    """Columns compared with = / IN (equality) and with < > BETWEEN (range), anywhere in the query."""

    def __init__(self) -> None:
        super().__init__()
        self.found = Predicates()

    def visit_A_Expr(self, ancestors, node):  # noqa: N802 (pglast's naming)
        op = node.name[-1].sval if node.name else ""
        left, right = column_name(node.lexpr), column_name(node.rexpr) if not isinstance(node.rexpr, (list, tuple)) else None
        column = left if right is None else right if left is None else None
        if column is None:
            return
        if node.kind == A_Expr_Kind.AEXPR_IN or (node.kind == A_Expr_Kind.AEXPR_OP and op == "="):
            self.found.equal.add(column)
        elif node.kind in (A_Expr_Kind.AEXPR_BETWEEN, A_Expr_Kind.AEXPR_NOT_BETWEEN) or \
                (node.kind == A_Expr_Kind.AEXPR_OP and op in ("<", ">", "<=", ">=")):
            self.found.range.add(column)


def predicates(query: str) -> Predicates:
    visitor = _Where()
    visitor(parse_sql(query))
    return visitor.found


def index_scans(plan: dict) -> list[tuple[str, str]]:
    """(index name, its condition) for every node of an EXPLAIN (FORMAT JSON) plan that reads an
    index; a bitmap index scan takes its heap scan's Recheck Cond when it has no condition."""
    found = []
    if "Index Name" in plan:
        found.append((plan["Index Name"], " ".join(plan.get(k, "") for k in ("Index Cond", "Recheck Cond", "Order By"))))
    for child in plan.get("Plans", ()):
        cond = child.get("Recheck Cond", "")
        found += [(name, c or cond) for name, c in index_scans(child)]
    return found


def _used(plan: dict) -> set[str]:
    return {name for name, _ in index_scans(plan)}


def _plannable(query: str) -> str | None:
    """Why the query cannot be explained, or None."""
    try:
        statements = parse_sql(query)
    except Exception as exc:  # noqa: BLE001 - pglast's parse error is the reason
        return f"does not parse: {str(exc).splitlines()[0]}"
    if len(statements) != 1:
        return "is not exactly one statement"
    if not isinstance(statements[0].stmt, (ast.SelectStmt, ast.UpdateStmt, ast.DeleteStmt, ast.InsertStmt)):
        return "is not a query"
    return None


@dataclass
class IndexChecks:
    conn: psycopg.Connection
    created: list[str]
    queries: list[str]
    setting: str
    tenant: str | None
    version: int
    forced: list[str]       # tables that force RLS: un-forced inside the EXPLAIN transaction

    def run(self) -> list[VerifyCheck]:
        indexes = {row[1]: Index(*row) for row in self.conn.execute(_INDEXES, [self.created]).fetchall()}
        checks: list[VerifyCheck] = []
        used_by_any: set[str] = set()
        for number, query in enumerate(self.queries, 1):
            check, used = self._query(number, query, indexes)
            checks += check
            used_by_any |= used
        for index in indexes.values():
            if index.name not in used_by_any:
                checks.append(self._unused(index))
        return checks

    def _explain(self, query: str) -> dict:
        generic = "$1" in query
        if generic and self.version < 160000:
            raise ValueError("has $n parameters, which EXPLAIN can plan only from PostgreSQL 16")
        with self.conn.transaction(force_rollback=True):
            # The plan of the query itself, not of the owner's default-deny: policies written
            # for the application role would otherwise turn every plan into "false".
            for table in self.forced:
                self.conn.execute(f"alter table {table} no force row level security")
            self.conn.execute("set local enable_seqscan = off")
            if self.tenant is not None:
                self.conn.execute("select pg_catalog.set_config(%s, %s, true)", [self.setting, self.tenant])
            options = "format json, generic_plan" if generic else "format json"
            row = self.conn.execute(f"explain ({options}) {query}".encode()).fetchone()[0]
        plan = row if isinstance(row, list) else json.loads(row)
        return plan[0]["Plan"]

    def _query(self, number: int, query: str, indexes: dict[str, Index]) -> tuple[list[VerifyCheck], set[str]]:
        name = f"query {number} can use an index"
        short = " ".join(query.split())[:160]
        reason = _plannable(query)
        if reason is None:
            try:
                used = _used(self._explain(query))
            except (psycopg.Error, ValueError) as exc:
                reason = f"could not be planned: {str(exc).strip().splitlines()[0]}"
        if reason is not None:
            return [VerifyCheck(name=name, kind="index", status="skipped", subject=short,
                                evidence=f"the query {reason}")], set()
        found = predicates(query)
        if not used and not (found.equal or found.range):
            return [VerifyCheck(name=name, kind="index", status="warning", subject=short,
                                evidence="the query filters on nothing an index could serve: it reads the whole "
                                         "table by design (precompute it, e.g. a materialized view)")], set()
        if not used:
            return [VerifyCheck(name=name, kind="index", status="failed", subject=short,
                                evidence="even with sequential scans disabled the plan reads no index")], set()
        checks = [VerifyCheck(name=name, kind="index", status="passed", subject=short,
                              evidence="plan uses " + ", ".join(sorted(used)))]
        for index_name in sorted(used & set(indexes)):
            checks += self._order(indexes[index_name], found, number)
        return checks, used

    def _order(self, index: Index, found: Predicates, number: int) -> list[VerifyCheck]:
        """A range column ahead of an equality column makes the scan read every value of the range."""
        columns = [c for c in index.columns if c is not None]
        if index.method != "btree" or len(columns) != len(index.columns):
            return []
        for i, column in enumerate(columns):
            later = [c for c in columns[i + 1:] if c in found.equal]
            if column in found.range and column not in found.equal and later:
                better = [c for c in columns if c in found.equal] + [c for c in columns if c not in found.equal]
                return [VerifyCheck(
                    name=f"{index.qname} columns in the order query {number} needs", kind="index", status="failed",
                    subject=index.qname,
                    evidence=f"range column {column} comes before equality column {later[0]}: the scan reads the "
                             f"whole range for every value of {later[0]}; order it ({', '.join(better)})")]
        return [VerifyCheck(name=f"{index.qname} columns in the order query {number} needs", kind="index",
                            status="passed", subject=index.qname,
                            evidence=f"({', '.join(columns)}): equality columns before range columns")]

    def _unused(self, index: Index) -> VerifyCheck:
        name = f"{index.qname} is used"
        given = "no given query uses it" if self.queries else "no queries were given"
        leading = index.columns[0] if index.columns else None
        if index.method not in ("btree", "hash") or leading is None or self.version < 160000:
            return VerifyCheck(name=name, kind="index", status="warning" if self.queries else "skipped",
                               subject=index.qname, evidence=f"{given}; a {index.method} index on an expression "
                                                             "or other method needs a real query to probe")
        probe = f"select 1 from {index.table} where {ident(leading)} = $1"
        if index.predicate:
            probe += f" and ({index.predicate})"
        try:
            usable = index.name in _used(self._explain(probe))
        except (psycopg.Error, ValueError) as exc:
            usable, given = False, f"{given}; probing it failed: {str(exc).strip().splitlines()[0]}"
        status = "warning" if self.queries or not usable else "passed"
        return VerifyCheck(name=name, kind="index", status=status, subject=index.qname,
                           evidence=f"{given}; " + ("usable for a lookup on " + leading if usable
                                                    else "not chosen even for a lookup on " + leading))
