"""The builtin provider's report for a monitoring recommendation: the monitoring kit."""

from __future__ import annotations

from dbagent.prompts import render
from dbagent.providers._migration import Migration
from dbagent.report.models import (Alert, ChecklistItem, Classification, Code, Deployment, ImplementationPlan,
                                   Maintenance, Metric, Phase, Report, Requirements, RollbackProcedures,
                                   SuccessMetrics, Summary, Validation)

KIT = "migrations/001_monitoring_kit.sql"
VIEWS = ("database_health", "table_sizes", "index_usage", "unused_indexes", "connections", "activity", "rls_coverage")


def monitoring_report(tenant_key_literal: str, admin_role: str | None, severity: str) -> Report:
    args = {"tenant_key": tenant_key_literal, "admin_role": admin_role or ""}
    files = Migration()
    files.add(KIT, render("playbooks/monitoring_up.sql.j2", **args),
              render("playbooks/monitoring_down.sql.j2", **args), "the kit", "drops the schema")
    alerts = "SELECT * FROM monitoring.check_alerts()"
    return Report(
        title="Monitoring kit (dbagent builtin provider)",
        classification=Classification(level=severity, rationale="no observability of the database"),
        summary=Summary(objective="Observe health, sizes, index use, sessions, slow queries and RLS coverage.",
                        scope="schema monitoring: a query performance log with log_slow_query(), views "
                              + ", ".join(VIEWS) + ", top_queries() over pg_stat_statements, check_alerts()",
                        dependencies="pg_stat_statements is used when installed and preloaded; top_queries() says "
                                     "so with a NOTICE when it is not. Nothing else is required.",
                        risk_assessment="New objects only, in a new schema: no lock on application tables."),
        requirements=Requirements(functional=[f"monitoring.{v} answers in one query" for v in VIEWS]
                                  + ["slow queries can be logged", "alerts have thresholds as arguments"],
                                  non_functional=["read-only views over statistics catalogs"]),
        files=files.files(),
        plan=ImplementationPlan(phases=[Phase(name="Monitoring", steps=[f"create monitoring.{v}" for v in VIEWS]
                                              + ["create the log table and functions"])]),
        code=Code(artifacts=files.artifacts()),
        validation=Validation(items=[ChecklistItem(area="schema", text=f"SELECT * FROM monitoring.{v} runs")
                                     for v in VIEWS]
                              + [ChecklistItem(area="security", text="views read statistics only, no tenant rows")]),
        deployment=Deployment(staging=[f"Apply {KIT}", alerts], production=[f"Apply {KIT}", "Schedule check_alerts()"]),
        metrics=SuccessMetrics(metrics=[Metric(name="open alerts", target="0", measured_by=alerts, query=alerts)]),
        maintenance=Maintenance(tasks=["Delete query_performance_log rows older than 30 days weekly",
                                       "Review monitoring.unused_indexes monthly"],
                                alerts=[Alert(name="check_alerts()", threshold="any row")]),
        rollback=RollbackProcedures(steps=files.rollback_steps(), validation_queries=[
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'monitoring';"]),
    )
