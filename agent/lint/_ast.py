"""pglast helpers: parsing one statement, walking its tree, names, and the SQL hidden in bodies.

pglast is PostgreSQL's own parser: it understands CREATE POLICY, ROW LEVEL SECURITY,
functions and COPY exactly, and its PL/pgSQL parser exposes the statements inside DO
blocks and function bodies, including EXECUTE of strings we can fold from literals.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from pglast import ast, parse_plpgsql, parse_sql
from pglast.parser import ParseError

__all__ = ["ParseError", "ast", "parse_one", "walk", "qualname", "func_name", "type_name",
           "embedded_sql", "fold_string", "const_value", "def_options"]


@lru_cache(maxsize=8192)
def parse_one(text: str) -> tuple[ast.Node, ...]:
    """The statements pglast reads in `text` (raises ParseError)."""
    return tuple(raw.stmt for raw in parse_sql(text))


def walk(node) -> Iterator[ast.Node]:
    """Every node below and including `node`, depth first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Node):
            yield item
            for slot in item.__slots__:
                value = getattr(item, slot, None)
                if isinstance(value, (ast.Node, tuple, list)):
                    stack.append(value)
        elif isinstance(item, (tuple, list)):
            stack.extend(reversed(item))


def qualname(rv: ast.RangeVar | None, default_schema: str = "public") -> str:
    """`schema.relation`, lower-cased as PostgreSQL folds unquoted names."""
    if rv is None:
        return ""
    return f"{rv.schemaname or default_schema}.{rv.relname}"


def names(items) -> list[str]:
    return [i.sval for i in items or () if isinstance(i, ast.String)]


def func_name(call: ast.FuncCall) -> str:
    """The function's own name without schema (`pg_catalog.pg_read_file` -> `pg_read_file`)."""
    parts = names(call.funcname)
    return parts[-1].lower() if parts else ""


def type_name(tn: ast.TypeName | None) -> str:
    """The type's last name part as PostgreSQL stores it: int4, varchar, timestamp, jsonb..."""
    if tn is None:
        return ""
    parts = names(tn.names)
    return parts[-1].lower() if parts else ""


def const_value(node):
    """The Python value of an A_Const (str, int, float, bool) or None."""
    if isinstance(node, ast.A_Const) and not node.isnull:
        val = node.val
        for attr in ("sval", "ival", "fval", "boolval", "bsval"):
            if hasattr(val, attr):
                return getattr(val, attr)
    return None


def def_options(items) -> dict[str, object]:
    """DefElem lists (WITH (...), function options) as name -> value."""
    out: dict[str, object] = {}
    for d in items or ():
        if isinstance(d, ast.DefElem):
            arg = d.arg
            if isinstance(arg, ast.String):
                arg = arg.sval
            elif isinstance(arg, ast.Boolean):
                arg = arg.boolval
            elif isinstance(arg, ast.Integer):
                arg = arg.ival
            out[d.defname] = arg
    return out


# --- constant folding of strings that EXECUTE will run --------------------------------------

def fold_string(node, env: dict[str, str] | None = None) -> str | None:
    """The string an expression always evaluates to, when built from literals; else None.

    Covers concatenation, concat(), format() with %s/%I/%L, chr(), upper(), lower(),
    casts, and variables assigned a foldable value (`env`).
    """
    env = env or {}
    match node:
        case ast.A_Const():
            v = const_value(node)
            return None if v is None else str(v)
        case ast.TypeCast():
            return fold_string(node.arg, env)
        case ast.ColumnRef():
            parts = names(node.fields)
            return env.get(parts[-1]) if len(parts) == 1 else None
        case ast.A_Expr() if names(node.name) == ["||"]:
            left, right = fold_string(node.lexpr, env), fold_string(node.rexpr, env)
            return None if left is None or right is None else left + right
        case ast.FuncCall():
            args = [fold_string(a, env) for a in node.args or ()]
            if any(a is None for a in args):
                return None
            name = func_name(node)
            if name == "concat":
                return "".join(args)
            if name == "concat_ws" and args:
                return args[0].join(args[1:])
            if name == "chr" and len(args) == 1 and args[0].isdigit():
                return chr(int(args[0])) if int(args[0]) < 0x110000 else None
            if name in ("upper", "lower") and len(args) == 1:
                return getattr(args[0], name)()
            if name in ("quote_literal", "quote_nullable") and len(args) == 1:
                return _quote_literal(args[0])
            if name == "quote_ident" and len(args) == 1:
                return _quote_ident(args[0])
            if name == "format" and args:
                return _format(args[0], args[1:])
    return None


def _quote_literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _quote_ident(s: str) -> str:
    return s if s.isidentifier() and s == s.lower() else '"' + s.replace('"', '""') + '"'


def _format(fmt: str, args: list[str]) -> str | None:
    out, i, k = [], 0, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            if spec == "%":
                out.append("%")
            elif spec in "sIL" and k < len(args):
                out.append({"s": str, "I": _quote_ident, "L": _quote_literal}[spec](args[k]))
                k += 1
            else:
                return None
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


# --- SQL inside DO blocks and function bodies ------------------------------------------------

def _dollar_quote(body: str) -> str:
    tag = "$dbagent$"
    while tag in body:
        tag = tag[:-1] + "x$"
    return f"{tag}{body}{tag}"


def _plpgsql_exprs(tree) -> Iterator[tuple[str, int, str]]:
    """(kind, parseMode, query) of every PLpgSQL_expr, with the statement kind that holds it."""
    stack = [("", tree)]
    while stack:
        kind, item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "PLpgSQL_expr" and isinstance(value, dict):
                    yield kind, value.get("parseMode", 0), value.get("query", "")
                else:
                    stack.append((key if key.startswith("PLpgSQL_stmt") else kind, value))
        elif isinstance(item, list):
            stack.extend((kind, v) for v in item)


def _statements_of_expr(mode: int, query: str) -> tuple[ast.Node, ...]:
    candidates = [query] if mode == 0 else []
    if mode == 3 and ":=" in query:  # an assignment target := expression
        candidates.append("SELECT " + query.split(":=", 1)[1])
    candidates.append("SELECT " + query)
    for text in candidates:
        try:
            return parse_one(text)
        except ParseError:
            continue
    return ()


def _plpgsql_body(*function_sqls: str) -> Iterator[tuple[ast.Node, bool]]:
    """Statements in a PL/pgSQL function (the first of `function_sqls` that parses).

    The bool marks statements folded from an EXECUTE of literals.
    """
    tree = None
    for function_sql in function_sqls:
        try:
            tree = parse_plpgsql(function_sql)
            break
        except Exception:  # the body does not parse this way: try the next wrapper
            continue
    if tree is None:
        return
    env: dict[str, str] = {}
    exprs = list(_plpgsql_exprs(tree))
    assigned = [(query.split(":=", 1)[0].strip(), mode, query) for kind, mode, query in exprs
                if kind == "PLpgSQL_stmt_assign" and ":=" in query]
    assigned += [(name, mode, query) for name, mode, query in _declared_defaults(tree)]
    for _ in range(3):  # flow-insensitive: a variable assigned a foldable value anywhere
        for target, mode, query in assigned:
            for stmt in _statements_of_expr(mode, query):
                value = _single_target(stmt, env)
                if value is not None:
                    env[target] = value
    for kind, mode, query in exprs:
        stmts = _statements_of_expr(mode, query)
        yield from ((s, False) for s in stmts)
        if kind in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors", "PLpgSQL_stmt_open",
                    "PLpgSQL_stmt_return_query"):
            for stmt in stmts:
                built = _single_target(stmt, env)
                if built:
                    try:
                        yield from ((s, True) for s in parse_one(built))
                    except ParseError:
                        pass


def _declared_defaults(tree) -> Iterator[tuple[str, int, str]]:
    for fn in tree if isinstance(tree, list) else [tree]:
        for datum in fn.get("PLpgSQL_function", {}).get("datums", []):
            var = datum.get("PLpgSQL_var", {})
            expr = var.get("default_val", {}).get("PLpgSQL_expr")
            if var.get("refname") and expr:
                yield var["refname"], expr.get("parseMode", 2), expr.get("query", "")


def _single_target(stmt: ast.Node, env: dict[str, str]) -> str | None:
    if isinstance(stmt, ast.SelectStmt) and stmt.targetList and len(stmt.targetList) == 1:
        return fold_string(stmt.targetList[0].val, env)
    return None


def _wrappers(body: str) -> list[str]:
    """CREATE FUNCTION texts around a bare body: RETURN's rules depend on the declared result."""
    quoted = _dollar_quote(body)
    return [f"CREATE FUNCTION pg_temp.dbagent_fn() RETURNS {kind} LANGUAGE plpgsql AS {quoted}"
            for kind in ("void", "SETOF record", "record", "trigger")]


def embedded_sql(stmt: ast.Node, text: str = "") -> list[tuple[ast.Node, bool]]:
    """Statements inside a DO block or a SQL/PL/pgSQL function body (bool: built by EXECUTE).

    `text` is the statement's own source; PL/pgSQL parses best from it.
    """
    if isinstance(stmt, ast.DoStmt):
        opts = def_options(stmt.args)
        if str(opts.get("language", "plpgsql")).lower() != "plpgsql":
            return []
        return list(_plpgsql_body(*_wrappers(str(opts.get("as", "")))))
    if isinstance(stmt, ast.CreateFunctionStmt):
        opts = def_options(stmt.options)
        lang = str(opts.get("language", "sql")).lower()
        body = opts.get("as")
        if isinstance(body, tuple):
            body = body[0].sval if body and isinstance(body[0], ast.String) else None
        if stmt.sql_body is not None:  # BEGIN ATOMIC: already parsed
            return [(n, False) for n in walk(stmt.sql_body) if type(n).__name__.endswith("Stmt")]
        if not isinstance(body, str):
            return []
        if lang == "sql":
            try:
                return [(s, False) for s in parse_one(body)]
            except ParseError:
                return []
        if lang == "plpgsql":
            return list(_plpgsql_body(*([text] if text else []), *_wrappers(body)))
    return []
