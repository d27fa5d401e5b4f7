"""The builtin provider's report for a monitoring recommendation: the monitoring kit."""

from __future__ import annotations

from dbagent.prompts import render
from dbagent.report.models import (Alert, ChecklistItem, Classification, Code, Deployment, FileEntry,
                                   FilesStructure, ImplementationPlan, Maintenance, Metric, Phase, Report,
                                   Requirements, RollbackProcedures, SqlArtifact, SuccessMetrics, Summary,
                                   Validation)

KIT = "migrations/001_monitoring_kit.sql"
VIEWS = ("database_health", "table_sizes", "index_usage", "unused_indexes", "connections", "activity", "rls_coverage")


def monitoring_report(tenant_key_literal: str, admin_role: str | None, severity: str) -> Report:
    args = {"tenant_key": tenant_key_literal, "admin_role": admin_role or ""}
    down = KIT.replace(".sql", ".down.sql")
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
        files=FilesStructure(files=[FileEntry(path=KIT, kind="migration", apply_order=1, purpose="the kit"),
                                    FileEntry(path=down, kind="rollback", apply_order=1, purpose="drops the schema")]),
        plan=ImplementationPlan(phases=[Phase(name="Monitoring", steps=[f"create monitoring.{v}" for v in VIEWS]
                                              + ["create the log table and functions"])]),
        code=Code(artifacts=[SqlArtifact(path=KIT, role="up", sql=render("playbooks/monitoring_up.sql.j2", **args)),
                             SqlArtifact(path=down, role="down",
                                         sql=render("playbooks/monitoring_down.sql.j2", **args))]),
        validation=Validation(items=[ChecklistItem(area="schema", text=f"SELECT * FROM monitoring.{v} runs")
                                     for v in VIEWS]
                              + [ChecklistItem(area="security", text="views read statistics only, no tenant rows")]),
        deployment=Deployment(staging=[f"Apply {KIT}", alerts], production=[f"Apply {KIT}", "Schedule check_alerts()"]),
        metrics=SuccessMetrics(metrics=[Metric(name="open alerts", target="0", measured_by=alerts, query=alerts)]),
        maintenance=Maintenance(tasks=["Delete query_performance_log rows older than 30 days weekly",
                                       "Review monitoring.unused_indexes monthly"],
                                alerts=[Alert(name="check_alerts()", threshold="any row")]),
        rollback=RollbackProcedures(steps=[f"Run {down}"], validation_queries=[
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'monitoring';"]),
    )
