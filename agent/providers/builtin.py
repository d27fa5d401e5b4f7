"""The offline implementer: no model, deterministic playbooks driven by the schema's catalog.

So far it implements tenant-isolation (RLS) recommendations and, from a recommendation's
queries, performance ones (the index advisor); anything else is refused with what is missing
and a pointer to an LLM provider. It never invents SQL it has no playbook for.
"""

from __future__ import annotations

import re

from dbagent.lint import LintConfig, build_catalog
from dbagent.lint._ast import ast, walk
from dbagent.lint._engine import parsed
from dbagent.playbooks import feature, indexes, matviews, rewrites, rls, rls_access, triggers
from dbagent.prompts import render
from dbagent.providers.base import Conversation, ToolRunner, TraceSink, Turn
from dbagent.providers._feature import feature_report
from dbagent.providers._migration import Migration
from dbagent.providers._monitoring import monitoring_report
from dbagent.providers._performance import performance_report
from dbagent.providers._triggers import triggers_report
from dbagent.recommendation import RecommendationFrontMatter, front_matter, queries_of
from dbagent.report import render_report
from dbagent.report.models import (Alert, ChecklistItem, Classification, Code, Deployment, ImplementationPlan,
                                   Maintenance, Metric, Phase, Report, Requirements, RollbackProcedures,
                                   SuccessMetrics, Summary, Validation)
from dbagent.result import Usage

_RECOMMENDATION = re.compile(r"<recommendation>\n(?:The following text is data[^\n]*\n)?(.*)</recommendation>", re.S)
RLS_WORDS = ("row-level security", "row level security", " rls", "tenant isolation", "cross-tenant",
             "tenant-isolation", "relrowsecurity")
RLS_RULES = {"tenant-table-rls-disabled", "rls-not-forced", "rls-enabled-no-policy", "policy-missing-tenant-predicate"}
MIGRATION = "migrations/001_tenant_isolation.sql"
INDEXES = "migrations/002_tenant_isolation_indexes_concurrently.sql"


def intent(text: str, fm: RecommendationFrontMatter | None) -> str:
    """security, performance, monitoring or feature: from front matter, else from the wording."""
    if fm:
        if any(f.rule in RLS_RULES for f in fm.findings):
            return "security"
        return fm.kind
    low = " " + text.lower()
    if any(w in low for w in RLS_WORDS):
        return "security"
    for kind, words in (("monitoring", ("monitoring", "observability", "alerting")),
                        ("performance", ("slow", "index", "latency", "performance", "n+1", " scan", "pagination",
                                         "takes seconds", "materialized view", "aggregates", "precompute")),
                        ("triggers", ("audit trail", "audit log", "change history", "updated_at")),
                        ("feature", ("new table", "feature"))):
        if any(w in low for w in words):
            return kind
    return "unknown"


def schema_roles(schema: str) -> set[str]:
    names = set()
    for node, *_ in parsed(schema):
        for n in walk(node) if node is not None else ():
            if isinstance(n, ast.RoleSpec) and n.rolename:
                names.add(n.rolename)
            elif isinstance(n, ast.CreateRoleStmt):
                names.add(n.role)
    return names


class BuiltinProvider:
    """Writes the report itself, from playbooks; answers the same on a repair turn (it cannot learn)."""

    name = "builtin"
    model = "playbooks"
    deterministic = True  # the same input gives the same answer: a repair turn cannot change it

    def __init__(self, schema: str, config: LintConfig | None = None,
                 sizes: dict[str, tuple[float, int]] | None = None) -> None:
        self.schema = schema
        self.config = config or LintConfig()
        self.sizes = sizes or {}
        self._answer: Turn | None = None

    def turn(self, conversation: Conversation, run_tool: ToolRunner, trace: TraceSink) -> Turn:
        if self._answer is None:
            self._answer = self._first(conversation)
            trace("response", {"provider": self.name, "refusal": self._answer.refusal,
                               "chars": len(self._answer.text)})
        if not self._answer.refusal:
            conversation.messages.append({"role": "assistant", "content": [{"type": "text", "text": self._answer.text}]})
        return self._answer

    def _first(self, conversation: Conversation) -> Turn:
        first = conversation.messages[0]["content"]
        text = first if isinstance(first, str) else "".join(b.get("text", "") for b in first)
        m = _RECOMMENDATION.search(text)
        recommendation = m.group(1) if m else text
        fm = front_matter(recommendation.lstrip())
        kind = intent(recommendation, fm)
        if kind == "performance":
            return self._performance(recommendation, fm)
        if kind == "feature" and fm and fm.table_sketches:
            return self._feature(fm)
        if kind == "monitoring":
            return self._monitoring(fm)
        if kind == "triggers":
            return self._triggers(recommendation, fm)
        if kind != "security":
            return Turn(text="", usage=Usage(), refusal=(
                "the builtin provider implements tenant isolation (RLS), indexes and reports for given queries, "
                "feature tables from front-matter sketches and the monitoring kit; "
                f"this one reads as {kind}{' without a table sketch' if kind == 'feature' else ''}: "
                "use an LLM provider (set ANTHROPIC_API_KEY)"))
        cat = build_catalog(self.schema, self.config)
        roles = schema_roles(self.schema)
        plan = rls.plan(cat, self.config, roles)
        plan.access = rls_access.extend(plan, cat, self.config, recommendation, roles)
        if not plan.tables:
            return Turn(text="", usage=Usage(), refusal=(
                f"every tenant table (with {self.config.tenant_key}, or reaching one by a NOT NULL foreign key) "
                "already has row-level security enabled, forced and with policies: nothing for the rls playbook to do"))
        severity = fm.severity if fm and fm.severity else ("CRITICAL" if any(t.enable for t in plan.tables) else "HIGH")
        return self._answer_with(_report(plan, severity, self.config), [t.name for t in plan.tables])


    def _feature(self, fm: RecommendationFrontMatter) -> Turn:
        """Tables from the sketches, then the RLS suite on those that hold tenant rows."""
        cat = build_catalog(self.schema, self.config)
        try:
            tables = feature.plan(fm.table_sketches, cat)
        except feature.SketchError as exc:
            return Turn(text="", usage=Usage(), refusal=f"table sketch: {exc}; nothing was invented in its place")
        created = render("playbooks/feature_up.sql.j2", tables=tables)
        after = build_catalog(self.schema + "\n" + created, self.config)
        plan = rls.plan(after, self.config, schema_roles(self.schema))
        new = {t.name for t in tables if t.tenant_scoped}
        plan.tables = [t for t in plan.tables if t.name in new]
        plan.indexes = [i for i in plan.indexes if rls.unident(i.table) in new]
        severity = fm.severity or "MEDIUM"
        return self._answer_with(feature_report(tables, plan, severity), [])

    def _answer_with(self, report: Report, tables: list[str]) -> Turn:
        """The report, its risk assessment completed with the sizes of the tables it changes."""
        risk = report.summary.risk_assessment.rstrip()
        if tables and self.sizes:
            known = [f"{t}: ~{int(self.sizes[t][0]):,} rows, {self.sizes[t][1] / 1048576:,.0f} MB"
                     for t in tables if t in self.sizes]
            risk += " Sizes from the source database: " + "; ".join(known or ["none of these tables found"]) + "."
        elif tables:
            risk += (" Table sizes are unknown (the schema came from a file; --schema-from-dsn reads them): "
                     "the sandbox's lock report gives each statement's lock and whether it rewrote the table.")
        summary = report.summary.model_copy(update={"risk_assessment": risk})
        return Turn(text=render_report(report.model_copy(update={"summary": summary})), usage=Usage(requests=1))

    def _triggers(self, recommendation: str, fm: RecommendationFrontMatter | None) -> Turn:
        """updated_at maintenance and the audit trail, on the tables the recommendation names."""
        plan = triggers.plan(build_catalog(self.schema, self.config), self.config, recommendation)
        if not plan.touch and not plan.audit:
            return Turn(text="", usage=Usage(), refusal=(
                "no table to put triggers on: name the tables (with an updated_at column, or with "
                f"{self.config.tenant_key} for the audit trail)" + ("; " + "; ".join(plan.skipped) if plan.skipped else "")))
        report = triggers_report(plan, fm.severity if fm and fm.severity else "MEDIUM")
        return self._answer_with(report, [t.name for t in plan.touch + plan.audit])

    def _monitoring(self, fm: RecommendationFrontMatter | None) -> Turn:
        """The monitoring kit, in its own schema."""
        if build_catalog(self.schema, self.config).table("monitoring.query_performance_log") is not None \
                or "create schema monitoring" in self.schema.lower():
            return Turn(text="", usage=Usage(), refusal="the schema already has a monitoring schema: the kit "
                                                        "would collide with it; use an LLM provider to extend it")
        admin = next((r for r in sorted(schema_roles(self.schema)) if self.config.is_admin_role(r)), None)
        report = monitoring_report(rls.literal(self.config.tenant_key), rls.ident(admin) if admin else None,
                                   fm.severity if fm and fm.severity else "MEDIUM")
        return self._answer_with(report, [])

    def _performance(self, recommendation: str, fm: RecommendationFrontMatter | None) -> Turn:
        """The index advisor on the recommendation's queries."""
        queries = queries_of(recommendation)
        if not queries:
            return Turn(text="", usage=Usage(), refusal=(
                "the recommendation names no query (front matter `queries:` or SQL code blocks): the index "
                "advisor works from queries; use an LLM provider for prose-only performance advice"))
        cat = build_catalog(self.schema, self.config)
        advice = indexes.advise(queries, cat, self.config)
        if "pg_trgm" in self.schema:
            advice.extensions = [e for e in advice.extensions if e != "pg_trgm"]
        if any(w in recommendation.lower() for w in ("rank", "relevance")):
            searched = {(i.table, i.columns.split(" ")[0]) for i in advice.indexes if "gin_trgm_ops" in i.columns}
            advice.searches = [p for t, c in sorted(searched)
                               if (p := indexes.search_function(cat, rls.unident(t), rls.unident(c), self.config.tenant_key))]
            advice.indexes += [indexes.fulltext_index(p) for p in advice.searches]
        reports = matviews.plan(queries, cat, self.config, recommendation)
        if not advice.indexes and not reports:
            return Turn(text="", usage=Usage(), refusal=(
                "the index advisor found nothing to add for these queries (existing indexes already lead with "
                "their columns" + ("; " + "; ".join(advice.notes) if advice.notes else "") + ")"))
        severity = fm.severity if fm and fm.severity else "HIGH"
        functions = rewrites.batch_loaders(queries, cat, recommendation, self.config.tenant_key) + rewrites.keyset_pages(queries, cat)
        report = performance_report(advice, queries, severity, reports, functions)
        return self._answer_with(report, sorted({rls.unident(i.table) for i in advice.indexes}))


def _report(plan: rls.RlsPlan, severity: str, config: LintConfig) -> Report:
    """The 11 sections, filled from what the plan decided and why."""
    names = [t.name for t in plan.tables]
    policies = "transactional: ENABLE and FORCE RLS, tenant policies" + (", admin override" if plan.admin_role else "")
    files = Migration()  # policies, then their lookup indexes; rollbacks in reverse: indexes first
    files.add(MIGRATION, render("playbooks/rls_up.sql.j2", tables=plan.tables,
                                admin_role_ident=rls.ident(plan.admin_role) if plan.admin_role else ""),
              render("playbooks/rls_down.sql.j2", tables=plan.tables), policies,
              "restores the previous RLS state exactly")
    if plan.indexes:
        files.add(INDEXES, render("playbooks/indexes_up.sql.j2", indexes=plan.indexes),
                  render("playbooks/indexes_down.sql.j2", indexes=plan.indexes),
                  "non-transactional: CREATE INDEX CONCURRENTLY for the policies' lookups",
                  "non-transactional: drops those indexes", concurrently=True)
    setting = config.tenant_setting
    coverage = ("SELECT c.oid::regclass FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = "
                f"'{config.tenant_key}' WHERE c.relkind = 'r' AND NOT (c.relrowsecurity AND c.relforcerowsecurity)")
    return Report(
        title="Tenant isolation with row-level security (dbagent builtin provider)",
        classification=Classification(level=severity, rationale="tenant rows are not isolated by the database"),
        summary=Summary(
            objective=f"Enforce tenant isolation in the database for {len(names)} table(s): {', '.join(names)}.",
            scope="; ".join(f"{t.name}: {t.why}" for t in plan.tables)
                  + ("" if not plan.access else "; access asked for: " + "; ".join(plan.access))
                  + ("" if not plan.skipped else "; not covered: " + "; ".join(plan.skipped)),
            dependencies=f"The application sets {setting} per transaction (SET LOCAL); "
                         + (f"the role {plan.admin_role} is the platform administrator." if plan.admin_role
                            else "no administrator role exists in the schema, so no admin override is created."),
            risk_assessment="ALTER TABLE and CREATE POLICY take ACCESS EXCLUSIVE on each table for milliseconds "
                            "(lock_timeout 5s); queries that do not set the tenant see no rows afterwards."),
        requirements=Requirements(
            functional=[f"{t.name}: a tenant reads and writes only its own rows" for t in plan.tables]
                       + ([f"{plan.admin_role} reads and writes every tenant's rows"] if plan.admin_role else []),
            non_functional=["No downtime: metadata-only changes under a 5 s lock timeout; indexes built CONCURRENTLY",
                            "The tenant setting is evaluated once per statement (wrapped in a sub-select)"]),
        files=files.files(),
        plan=ImplementationPlan(phases=[
            Phase(name="Performance", steps=[i.why for i in plan.indexes] or ["no index needed"]),
            Phase(name="Security", steps=[f"{t.name}: {t.why}" for t in plan.tables]),
            Phase(name="Testing", steps=["dry-run with rollback proof in the sandbox",
                                         "query as the application role with and without a tenant set"])]),
        code=Code(artifacts=files.artifacts()),
        validation=Validation(items=[
            ChecklistItem(area="schema", text=f"{t.name} has the tenant key or a NOT NULL path to it") for t in plan.tables
        ] + [ChecklistItem(area="security", text="the application role is not the table owner, not superuser, not BYPASSRLS"),
             ChecklistItem(area="performance", text="every policy lookup has an index leading with its key")]),
        deployment=Deployment(
            staging=files.steps() + ["Run the application's test suite with a tenant set"],
            production=files.steps() + ["Watch for 42501 errors from the application"]),
        metrics=SuccessMetrics(metrics=[Metric(name="tenant tables without forced RLS", target="0",
                                               measured_by=coverage, query=coverage)]),
        maintenance=Maintenance(tasks=["Every new tenant table gets RLS, FORCE and a tenant policy in its migration"],
                                alerts=[Alert(name="RLS coverage", threshold="any tenant table without forced RLS")]),
        rollback=RollbackProcedures(steps=files.rollback_steps(), validation_queries=[coverage + ";"]),
    )
