"""The builtin provider's report for a feature recommendation with table sketches."""

from __future__ import annotations

from dbagent.playbooks import rls
from dbagent.playbooks.feature import FeatureTable
from dbagent.prompts import render
from dbagent.providers._migration import Migration
from dbagent.report.models import (Alert, ChecklistItem, Classification, Code, Deployment, ImplementationPlan,
                                   Maintenance, Metric, Phase, Report, Requirements, RollbackProcedures,
                                   SuccessMetrics, Summary, Validation)

TABLES = "migrations/001_feature_tables.sql"
RLS = "migrations/002_feature_tables_rls.sql"


def feature_report(tables: list[FeatureTable], plan: rls.RlsPlan, severity: str) -> Report:
    names = [t.name for t in tables]
    files = Migration()
    files.add(TABLES, render("playbooks/feature_up.sql.j2", tables=tables),
              render("playbooks/feature_down.sql.j2", tables=tables),
              "transactional: the tables, constraints, comments, FK indexes, updated_at triggers", "drops the new tables")
    if plan.tables:
        files.add(RLS, render("playbooks/rls_up.sql.j2", tables=plan.tables,
                              admin_role_ident=rls.ident(plan.admin_role) if plan.admin_role else ""),
                  render("playbooks/rls_down.sql.j2", tables=plan.tables),
                  "tenant isolation on the new tables", "removes their RLS")
    counts = " UNION ALL ".join(f"SELECT {rls.literal(n)}, count(*) FROM {rls.ident(n)}" for n in names)
    return Report(
        title=f"New tables: {', '.join(names)} (dbagent builtin provider)",
        classification=Classification(level=severity, rationale="a new feature's storage"),
        summary=Summary(objective=f"Create {', '.join(names)} as sketched in the recommendation.",
                        scope="; ".join(f"{t.name}: {len(t.columns)} columns, {len(t.indexes)} FK index(es)"
                                        + ("; tenant isolated" if t.tenant_scoped else "") for t in tables),
                        dependencies="The tables they reference exist; the application sets the tenant setting.",
                        risk_assessment="New tables only: no existing table is locked beyond the FK's brief "
                                        "SHARE ROW EXCLUSIVE on each referenced table."),
        requirements=Requirements(functional=[f"{t.name} stores what the sketch lists" for t in tables],
                                  non_functional=["Constraints enforce the sketch's checks",
                                                  "Tenant rows isolated by forced RLS"]),
        files=files.files(),
        plan=ImplementationPlan(phases=[Phase(name="Schema", steps=[f"create {n}" for n in names]),
                                        Phase(name="Security", steps=[t.why for t in plan.tables] or ["none"])]),
        code=Code(artifacts=files.artifacts()),
        validation=Validation(items=[ChecklistItem(area="schema", text=f"{t.name} matches the sketch")
                                     for t in tables]
                              + [ChecklistItem(area="security", text=f"{t.name}: tenant isolation proven")
                                 for t in plan.tables]),
        deployment=Deployment(staging=files.steps(), production=files.steps()),
        metrics=SuccessMetrics(metrics=[Metric(name="rows in the new tables", target="grows with use",
                                               measured_by=counts, query=counts)]),
        maintenance=Maintenance(tasks=["Watch the FK indexes' usage", "Add new columns with their own migrations"],
                                alerts=[Alert(name="check violations", threshold="23514 errors in the application log")]),
        rollback=RollbackProcedures(steps=files.rollback_steps(), validation_queries=[]),
    )
