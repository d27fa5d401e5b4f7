"""The rule base class and what a rule sees: one statement, and the run's context."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from dbagent.lint._ast import ast
from dbagent.lint._catalog import Catalog, Policy, Table
from dbagent.lint._split import Ignore, Positions
from dbagent.lint.models import FileRole, Finding, LintConfig, RuleDoc, Severity, SqlSource


@dataclass
class Stmt:
    """One statement as rules see it: its tree, text and place, and where it sits."""

    node: ast.Node
    text: str
    source: SqlSource
    role: FileRole
    line: int
    column: int
    offset: int
    ignores: list[Ignore]
    in_transaction: bool = False   # inside BEGIN ... COMMIT (or assumed, see config)
    nested: bool = False           # inside a DO block or function body
    built: bool = False            # folded from an EXECUTE of literals
    _positions: Positions | None = None

    def position(self, node: ast.Node | None = None) -> tuple[int, int]:
        """File line and column of `node` (its `location`), or of the statement."""
        loc = getattr(node, "location", None) if node is not None else None
        if self.nested or loc is None or loc < 0 or self._positions is None:
            return self.line, self.column
        return self._positions.at(self.offset + loc)  # pglast locations count characters


@dataclass
class Transaction:
    """What happened so far in the current transaction of the current file."""

    explicit: bool = False
    begun_at: Stmt | None = None
    constraints_added: set[tuple[str, str]] = field(default_factory=set)
    access_exclusive: Stmt | None = None
    ddl_tables: set[str] = field(default_factory=set)


@dataclass
class FileState:
    lock_timeout: bool = False
    statement_timeout: bool = False
    tx: Transaction = field(default_factory=Transaction)


@dataclass
class Context:
    """The run so far: configuration, the catalog before and now, per-file state."""

    config: LintConfig
    before: Catalog
    catalog: Catalog
    sources: list[SqlSource]
    file: FileState = field(default_factory=FileState)
    created: dict[str, Stmt] = field(default_factory=dict)   # tables created by the migration
    touched: dict[str, Stmt] = field(default_factory=dict)   # tables the migration changed
    validated_not_null: set[tuple[str, str]] = field(default_factory=set)
    forward: list[tuple[str, str, Stmt]] = field(default_factory=list)  # (kind, name, stmt)
    rollback: set[tuple[str, str]] = field(default_factory=set)
    scratch: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def start(cls, config: LintConfig, schema: Catalog, sources: list[SqlSource]) -> "Context":
        schema.mark_existing()
        return cls(config, schema, copy.deepcopy(schema), sources)

    def existed(self, table: str) -> bool:
        """Did the table exist before the migration (and is it not one the migration made)?"""
        t = self.catalog.table(table)
        return bool(t and t.existed and table not in self.created)

    def is_tenant(self, table: str) -> bool:
        return self.catalog.is_tenant_table(table, self.config.tenant_key)

    def state(self, rule_id: str) -> dict:
        return self.scratch.setdefault(rule_id, {})

    def policy_is_admin_only(self, p: Policy) -> bool:
        return bool(p.roles) and all(self.config.is_admin_role(r) for r in p.roles)

    def has_tenant_key(self, t: Table) -> bool:
        return self.config.tenant_key in t.columns


class Rule:
    """Base of every rule. The subclass docstring: description line, then Bad: and Good: SQL."""

    id: ClassVar[str]
    group: ClassVar[str]
    severity: ClassVar[Severity]
    hint: ClassVar[str]
    nested: ClassVar[bool] = False       # also check statements inside bodies and EXECUTE strings
    min_version: ClassVar[int] = 0       # needs this PostgreSQL major version or later
    severity_override: Severity | None = None

    def check(self, s: Stmt, ctx: Context) -> Iterable[Finding]:
        """Findings for one statement, seen before it is applied to the catalog."""
        return ()

    def finish(self, ctx: Context) -> Iterable[Finding]:
        """Findings that need the whole migration (e.g. a table left without RLS)."""
        return ()

    def hit(self, s: Stmt, message: str, node: ast.Node | None = None) -> Finding:
        line, column = s.position(node)
        where = " (inside a function body or DO block)" if s.nested else ""
        return Finding(rule=self.id, group=self.group, severity=self.severity_override or self.severity,
                       file=s.source.name, line=line, column=column, message=message + where,
                       hint=self.hint)

    def finding_at(self, file: str, line: int, column: int, message: str) -> Finding:
        """A finding at a place that is not a statement (a parse error, a directive)."""
        return Finding(rule=self.id, group=self.group, severity=self.severity_override or self.severity,
                       file=file, line=line, column=column, message=message, hint=self.hint)

    @classmethod
    def doc(cls) -> RuleDoc:
        text = inspect.cleandoc(cls.__doc__ or "")
        head, _, rest = text.partition("\n")
        sections = {"Bad:": "", "Good:": ""}
        current = None
        for line in rest.splitlines():
            if line.strip() in sections:
                current = line.strip()
            elif current:
                sections[current] += line + "\n"
        return RuleDoc(id=cls.id, group=cls.group, severity=cls.severity, description=head.strip(),
                       hint=cls.hint, bad=inspect.cleandoc(sections["Bad:"]),
                       good=inspect.cleandoc(sections["Good:"]))
