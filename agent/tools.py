"""Tools the model may call while it writes: look at the schema copy, query it read-only, lint a draft."""

from __future__ import annotations

from typing import Any

from dbagent.lint import LintConfig, SqlSource, lint
from dbagent.sandbox.inspect import CloneInspector

_TABLE = {"type": "object", "properties": {"table": {"type": "string", "description": "schema.table or table"}},
          "required": ["table"], "additionalProperties": False}
_SQL = {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"], "additionalProperties": False}

TOOLS: list[dict[str, Any]] = [
    {"name": "describe_table", "input_schema": _TABLE,
     "description": "Columns, constraints, indexes, policies, triggers and RLS flags of one table or view."},
    {"name": "list_policies", "input_schema": _TABLE, "description": "The row-level security policies of a table."},
    {"name": "list_indexes", "input_schema": _TABLE, "description": "The indexes of a table."},
    {"name": "run_query", "input_schema": _SQL,
     "description": "Run one read-only SELECT on a copy of the database (5 s, at most 50 rows)."},
    {"name": "explain", "input_schema": {"type": "object", "properties": {
        "sql": {"type": "string"}, "analyze": {"type": "boolean", "default": False}},
        "required": ["sql"], "additionalProperties": False},
     "description": "EXPLAIN (optionally ANALYZE) one SELECT on a copy of the database."},
    {"name": "lint_sql", "input_schema": {"type": "object", "properties": {
        "sql": {"type": "string"}, "file": {"type": "string", "description": "file name, e.g. migrations/001_x.sql"}},
        "required": ["sql"], "additionalProperties": False},
     "description": "Lint a draft migration file against the schema; returns the findings."},
]


class ToolBox:
    """Runs the model's tool calls against one clone; every answer is text."""

    def __init__(self, inspector: CloneInspector, schema_text: str, config: LintConfig) -> None:
        self.inspector = inspector
        self.schema_text = schema_text
        self.config = config
        self.calls = 0

    def run(self, name: str, args: dict[str, Any]) -> str:
        self.calls += 1
        try:
            match name:
                case "describe_table":
                    return self.inspector.describe(str(args["table"]))
                case "list_policies" | "list_indexes":
                    wanted = "  policy" if name == "list_policies" else "  index"
                    lines = self.inspector.describe(str(args["table"])).splitlines()
                    found = [line.strip() for line in lines if line.startswith(wanted)]
                    return "\n".join(found) or (lines[0] if lines and lines[0].startswith("no ") else "none")
                case "run_query":
                    return self.inspector.query(str(args["sql"]))
                case "explain":
                    return self.inspector.query(str(args["sql"]), explain=True, analyze=bool(args.get("analyze")))
                case "lint_sql":
                    report = lint([SqlSource(name=str(args.get("file") or "draft.sql"), text=str(args["sql"]))],
                                  self.schema_text, self.config)
                    return "\n".join(f"{f.file}:{f.line}:{f.column}: {f.severity} {f.rule}: {f.message}"
                                     for f in report.findings) or "no findings"
        except (KeyError, TypeError) as exc:
            return f"error: bad input for {name}: {exc}"
        return f"error: unknown tool {name!r}; tools: {', '.join(t['name'] for t in TOOLS)}"
