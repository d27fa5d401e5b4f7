"""SQL expressions that make up a column's value for synthetic row number `g`.

Values follow the type, its length, the enum's labels and the simple CHECK constraints
(`IN` lists and numeric bounds, read with pglast). Columns that are not unique get
repeated values, and nullable ones some NULLs, so that a migration that assumes
otherwise (a unique index, SET NOT NULL) fails here as it would on real data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind

from dbagent.sandbox.verify._tables import Column, Table


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass
class Constraints:
    """What the table's CHECK constraints say about single columns."""

    allowed: dict[str, list[str]] = field(default_factory=dict)
    lower: dict[str, float] = field(default_factory=dict)
    upper: dict[str, float] = field(default_factory=dict)


def _const(node) -> str | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const) and not node.isnull:
        return str(node.val.sval if isinstance(node.val, ast.String) else node.val.ival
                   if isinstance(node.val, ast.Integer) else node.val.fval
                   if isinstance(node.val, ast.Float) else node.val.boolval)
    return None


def column_name(node) -> str | None:
    """The column a (possibly cast) expression names, or None."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.ColumnRef) and isinstance(node.fields[-1], ast.String):
        return node.fields[-1].sval
    return None


def read_checks(table: Table) -> Constraints:
    found = Constraints()
    for definition in table.checks:
        text = definition.removeprefix("CHECK ").removesuffix(" NOT VALID")
        try:
            where = parse_sql(f"select 1 where {text}")[0].stmt.whereClause
        except Exception:  # noqa: BLE001 - a check we cannot read is simply not used
            continue
        _read(where, found)
    return found


def _read(node, found: Constraints) -> None:
    if isinstance(node, ast.BoolExpr) and node.boolop.name == "AND_EXPR":
        for arg in node.args:
            _read(arg, found)
        return
    if not isinstance(node, ast.A_Expr):
        return
    name = node.name[-1].sval if node.name else ""
    column = column_name(node.lexpr)
    if column is None:
        return
    if node.kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_IN) and name in ("=", "<>"):
        items = node.rexpr
        while isinstance(items, ast.TypeCast):
            items = items.arg
        items = items.elements if isinstance(items, ast.A_ArrayExpr) else items
        values = [_const(i) for i in (items if isinstance(items, (list, tuple)) else ())]
        if name == "=" and values and all(v is not None for v in values):
            found.allowed[column] = values
    elif node.kind == A_Expr_Kind.AEXPR_OP and (bound := _const(node.rexpr)) is not None:
        try:
            number = float(bound)
        except ValueError:
            return
        if name in (">", ">="):
            found.lower[column] = number + (1 if name == ">" else 0)
        elif name in ("<", "<="):
            found.upper[column] = number - (1 if name == "<" else 0)
        elif name == "=":
            found.allowed[column] = [bound]
    elif node.kind == A_Expr_Kind.AEXPR_BETWEEN:
        low, high = (_const(x) for x in node.rexpr)
        try:
            found.lower[column], found.upper[column] = float(low), float(high)
        except (TypeError, ValueError):
            pass


_TIME_FUTURE = ("valid_until", "expires_at", "ends_at", "end_at", "valid_to", "expiry", "expires_on")


def _scalar(col: Column, table: Table, checks: Constraints, distinct: bool) -> str | None:
    """An expression of `g` for the column's type, or None when we cannot make one up."""
    n = "g" if distinct else "(g % 41)"  # repeats, so a new unique index meets duplicates
    name, base, cat = col.name, col.base, col.category
    if name in checks.allowed:
        values = checks.allowed[name]
        return f"(ARRAY[{', '.join(_literal(v) for v in values)}])[1 + g % {len(values)}]::{col.type}"
    if col.labels:
        return f"(enum_range(null::{col.type}))[1 + g % {len(col.labels)}]" if col.base == col.type \
            else f"({_literal(col.labels[0])}::{col.base})::{col.type}"
    if cat == "N":
        low, high = checks.lower.get(name, 0), checks.upper.get(name)
        span = max(1, int(high - low + 1)) if high is not None else None
        offset = f"({n} % {span})" if span else n
        if base in ("numeric", "real", "double precision", "money"):
            return f"({low} + {offset} * 1.25)::{col.type}" if not span else f"({low} + {offset})::{col.type}"
        return f"({int(low)} + {offset})::{col.type}"
    if cat == "B":
        return "(g % 2 = 0)"
    if cat == "D":
        future = any(word in name for word in _TIME_FUTURE)
        if base == "date":
            return "(current_date + ((g % 3) - 1) * 30)" if future else "(current_date - (g % 400))"
        if base.startswith("time") and "stamp" not in base:
            return f"(time '08:00' + g * interval '1 minute')::{col.type}"
        if future:
            return f"(now() + ((g % 3) - 1) * interval '30 days')::{col.type}"
        return f"(now() - g * interval '37 minutes')::{col.type}"
    if cat == "T":
        return f"(g * interval '1 minute')::{col.type}"
    if cat == "S":
        # lower-case letters, digits and hyphens pass the usual slug and code patterns
        stem = "'" + "".join(ch if ch.isalnum() and ch.isascii() else "-" for ch in name[:20].lower()) + "-'"
        text = f"'user' || {n} || '@example.com'" if "email" in name else f"{stem} || {n}"
        if col.max_length:
            text = f"right({text}, {col.max_length})" if distinct else f"left({text}, {col.max_length})"
        return f"({text})::{col.type}"
    if base == "uuid":
        return f"md5({_literal(table.qname + '.' + name)} || {n})::uuid::{col.type}"
    if base in ("jsonb", "json"):
        return f"jsonb_build_object('id', {n}, 'kind', 'k' || (g % 5), 'active', g % 2 = 0)::{col.type}"
    if base == "bytea":
        return "decode(md5(g::text), 'hex')"
    if base in ("inet", "cidr"):
        return f"('10.0.' || (g / 250) || '.' || (g % 250 + 1))::{col.type}"
    if base == "tsvector":
        return "to_tsvector('simple', 'word' || g)"
    if cat == "A" and col.element_category in ("S", "N"):
        element = "'tag' || (g % 5)" if col.element_category == "S" else "(g % 5)"
        return f"ARRAY[{element}]::{col.type}"
    if cat == "A":
        return f"'{{}}'::{col.type}"
    return None


def value(col: Column, table: Table, checks: Constraints, *, nulls: bool) -> str | None:
    """The column's value for row `g`; None means leave it to its default (or NULL)."""
    distinct = col.name in table.unique_columns or col.name in table.primary_key
    expression = _scalar(col, table, checks, distinct)
    if expression is None:
        return None
    if nulls and not col.not_null and not distinct:
        return f"(case when g % 10 = 9 then null else {expression} end)"
    return expression
