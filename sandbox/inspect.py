"""Looking at a sandbox clone: a compact schema summary for prompts, and read-only tools.

Everything here runs as the migrator on a throwaway clone, in READ ONLY transactions with
a short statement timeout and a row limit.
"""

from __future__ import annotations

from collections import defaultdict

import psycopg
from pglast import parse_sql

from dbagent.sandbox._catalog import snapshot
from dbagent.sandbox._sandbox import Limits, Sandbox

TOOL_LIMITS = Limits(statement_timeout="5s", lock_timeout="1s")
MAX_ROWS = 50
MAX_CELL = 200


class CloneInspector:
    """Read-only questions about one clone's catalog and data."""

    def __init__(self, sandbox: Sandbox, database: str) -> None:
        self.sandbox = sandbox
        self.database = database
        self._snap: dict | None = None
        self._grouped: dict | None = None

    def catalog(self) -> dict:
        if self._snap is None:
            with self.sandbox.connect(self.database, TOOL_LIMITS) as conn:
                self._snap = snapshot(conn)
        return self._snap

    def _by_table(self) -> dict[str, dict[str, list[tuple[str, dict]]]]:
        """Columns, constraints, policies, triggers and indexes per table (computed once: tools
        only read the clone)."""
        if self._grouped is not None:
            return self._grouped
        grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        tables = {name for kind, name in self.catalog() if kind in ("table", "view")}
        for (kind, name), props in sorted(self.catalog().items()):
            if kind in ("column", "constraint", "policy", "trigger"):
                table, _, short = name.rpartition(".")
                if table in tables:
                    grouped[table][kind].append((short, props))
            elif kind == "index":
                table = _index_table(props.get("definition", ""))
                grouped[table]["index"].append((name, props))
        self._grouped = grouped
        return grouped

    def describe(self, table: str) -> str:
        """One table: columns, constraints, indexes, policies, triggers, RLS flags."""
        name = table if "." in table else f"public.{table}"
        props = self.catalog().get(("table", name)) or self.catalog().get(("view", name))
        if props is None:
            return f"no table or view named {name}"
        return self._table_text(name, props, self._by_table().get(name, {}))

    def _table_text(self, name: str, props: dict, parts: dict) -> str:
        flags = []
        if props.get("rls_enabled"):
            flags.append("RLS enabled" + (", forced" if props.get("rls_forced") else ", NOT forced"))
        elif "rls_enabled" in props:
            flags.append("no RLS")
        kind = "view" if "rls_enabled" not in props else "table"
        lines = [f"{kind} {name}" + (f" ({'; '.join(flags)})" if flags else "")]
        cols = [f"{c} {p.get('type')}{' not null' if p.get('not_null') else ''}"
                f"{' default ' + str(p['default']) if p.get('default') else ''}" for c, p in parts.get("column", [])]
        if cols:
            lines.append("  columns: " + ", ".join(cols))
        lines += [f"  constraint {c}: {p.get('definition')}" for c, p in parts.get("constraint", [])
                  if not str(p.get("definition", "")).startswith("NOT NULL")]  # shown on the column
        lines += [f"  index: {p.get('definition')}" for _, p in parts.get("index", [])]
        lines += [f"  policy {c}: {p.get('command')} {'permissive' if p.get('permissive') == 'PERMISSIVE' else p.get('permissive')}"
                  f" to {','.join(p.get('roles') or [])} using ({p.get('using')}) with check ({p.get('with_check')})"
                  for c, p in parts.get("policy", [])]
        lines += [f"  trigger {c}" for c, _ in parts.get("trigger", [])]
        return "\n".join(lines)

    def summary(self, max_chars: int = 24_000) -> str:
        """The whole schema, compactly; capped, saying what was left out."""
        grouped = self._by_table()
        blocks = []
        for (kind, name), props in sorted(self.catalog().items()):
            if kind in ("table", "view"):
                blocks.append(self._table_text(name, props, grouped.get(name, {})))
        functions = sorted(name for kind, name in self.catalog() if kind == "function")
        if functions:
            blocks.append("functions: " + ", ".join(functions))
        roles = sorted(name for kind, name in self.catalog() if kind == "role")
        if roles:
            blocks.append("roles: " + ", ".join(roles))
        out, used, left = [], 0, 0
        for block in blocks:
            if used + len(block) > max_chars:
                left += 1
                continue
            out.append(block)
            used += len(block) + 1
        if left:
            out.append(f"({left} more tables/views not shown to keep this summary under {max_chars} "
                       "characters: use the describe_table tool)")
        return "\n".join(out)

    def query(self, sql: str, explain: bool = False, analyze: bool = False) -> str:
        """Run one SELECT (or EXPLAIN of it) read-only; at most MAX_ROWS rows."""
        try:
            stmts = parse_sql(sql)
        except Exception as exc:  # pglast's ParseError, or odd input
            return f"error: {str(exc)[:300]}"
        if len(stmts) != 1 or type(stmts[0].stmt).__name__ != "SelectStmt" or stmts[0].stmt.intoClause:
            return "error: only one read-only SELECT (or WITH ... SELECT) is allowed"
        text = sql.strip().rstrip(";")
        if explain:
            text = f"EXPLAIN ({'ANALYZE, ' if analyze else ''}COSTS, FORMAT TEXT) {text}"
        try:
            with self.sandbox.connect(self.database, TOOL_LIMITS) as conn:
                conn.read_only = True
                cur = conn.execute(text)
                rows = cur.fetchmany(MAX_ROWS + 1)
                names = [d.name for d in cur.description or []]
                conn.rollback()
        except psycopg.Error as exc:
            return f"error: {exc.sqlstate or ''} {str(exc).strip().splitlines()[0][:300]}"
        more = len(rows) > MAX_ROWS
        lines = [" | ".join(names)] + [" | ".join(str(v)[:MAX_CELL] for v in row) for row in rows[:MAX_ROWS]]
        if more:
            lines.append(f"(more than {MAX_ROWS} rows; only the first {MAX_ROWS} shown)")
        return "\n".join(lines)


def _index_table(definition: str) -> str:
    """public.orders from 'CREATE INDEX x ON public.orders USING btree (...)'."""
    _, _, rest = definition.partition(" ON ")
    name = rest.split(" USING ")[0].replace("ONLY ", "").strip()
    return name.replace('"', "")
