"""Static checks of PostgreSQL migrations: locks, transactions, RLS, indexes, sandbox danger.

    >>> from dbagent.lint import lint, SqlSource
    >>> report = lint([SqlSource(name="up.sql", text="DELETE FROM sessions;")])
    >>> [f.rule for f in report.findings]
    ['unbounded-delete']
"""

from __future__ import annotations

from collections.abc import Sequence

from dbagent.lint._config import check_rule_ids, load_config
from dbagent.lint._engine import STEPS, Run, build_catalog
from dbagent.lint.models import Finding, LintConfig, LintReport, RuleDoc, SqlSource
from dbagent.lint.rules import ALL_RULES

__all__ = ["lint", "rule_docs", "load_config", "build_catalog", "Finding", "LintConfig", "LintReport",
           "RuleDoc", "SqlSource", "ALL_RULES"]


def active_rules(config: LintConfig):
    """Rule instances for this configuration: disabled and too-new ones left out, severities applied."""
    rules = []
    for cls in ALL_RULES:
        if cls.id in config.disable or cls.min_version > config.target_version:
            continue
        rule = cls()
        rule.severity_override = config.severity.get(cls.id)
        rules.append(rule)
    return rules


def lint(sources: Sequence[SqlSource], schema: str | None = None,
         config: LintConfig | None = None, variables: dict[str, str] | None = None) -> LintReport:
    """Lint migration files in order, knowing the pre-migration `schema` (DDL text) when given.

    `variables` are psql variables (as `psql -v`), substituted like `\\set` ones.
    """
    config = config or LintConfig()
    check_rule_ids(config, "lint configuration")
    run = Run(list(sources), schema, config, active_rules(config), variables=dict(variables or {}))
    for step in STEPS:
        step(run)
    order = {s.name: i for i, s in enumerate(run.sources)}
    unique = {f.model_dump_json(): f for f, _ in run.findings}  # a body may repeat the same call
    findings = sorted(unique.values(), key=lambda f: (order.get(f.file, len(order)), f.line, f.column, f.rule))
    return LintReport(files=[s.name for s in run.sources], statements=run.statements, findings=findings)


def rule_docs() -> list[RuleDoc]:
    """Every rule's documentation, in catalogue order."""
    return [cls.doc() for cls in ALL_RULES]
