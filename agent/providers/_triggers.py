"""The builtin provider's report for triggers: updated_at maintenance and the audit trail."""

from __future__ import annotations

from dbagent.playbooks.triggers import TriggerPlan
from dbagent.prompts import render
from dbagent.providers._migration import Migration
from dbagent.report.models import (Alert, ChecklistItem, Classification, Code, Deployment, ImplementationPlan,
                                   Maintenance, Metric, Phase, Report, Requirements, RollbackProcedures,
                                   SuccessMetrics, Summary, Validation)

FILE = "migrations/001_triggers.sql"


def triggers_report(plan: TriggerPlan, severity: str) -> Report:
    args = dict(plan.args, touch=plan.touch, audit=plan.audit)
    files = Migration()
    files.add(FILE, render("playbooks/triggers_up.sql.j2", **args), render("playbooks/triggers_down.sql.j2", **args),
              "triggers", "removes them")
    audited = ", ".join(t.name for t in plan.audit) or "none"
    touched = ", ".join(t.name for t in plan.touch) or "none"
    audit_rows = f"SELECT operation, count(*) FROM {plan.args['audit_table']} GROUP BY operation" if plan.audit \
        else "SELECT 1"
    return Report(
        title="Triggers: updated_at and audit trail (dbagent builtin provider)",
        classification=Classification(level=severity, rationale="row changes are not tracked"),
        summary=Summary(objective=f"updated_at maintained on {touched}; audit trail for {audited}.",
                        scope="; ".join([f"updated_at: {touched}", f"audit: {audited}"] + plan.skipped),
                        dependencies="The application sets app.current_user_id (the actor) and the tenant setting.",
                        risk_assessment="CREATE TRIGGER takes SHARE ROW EXCLUSIVE on each table briefly (lock_timeout "
                                        "5s); every audited write also inserts one audit row."),
        requirements=Requirements(functional=[f"{t.name}: updated_at moves on UPDATE" for t in plan.touch]
                                  + [f"{t.name}: every change leaves an audit row" for t in plan.audit],
                                  non_functional=["audit rows cannot be updated or deleted by the application"]),
        files=files.files(),
        plan=ImplementationPlan(phases=[Phase(name="Triggers", steps=[f"trigger on {t.name}"
                                                                      for t in plan.touch + plan.audit])]),
        code=Code(artifacts=files.artifacts()),
        validation=Validation(items=[ChecklistItem(area="schema", text=f"an UPDATE on {t.name} moves updated_at")
                                     for t in plan.touch]
                              + [ChecklistItem(area="security", text=f"an UPDATE on {t.name} writes old and new rows")
                                 for t in plan.audit]),
        deployment=Deployment(staging=[f"Apply {FILE}"], production=[f"Apply {FILE} in a quiet period"]),
        metrics=SuccessMetrics(metrics=[Metric(name="audit rows per operation", target="> 0 after a day",
                                               measured_by=audit_rows, query=audit_rows)]),
        maintenance=Maintenance(tasks=[f"Run {plan.args['retention_fn']}() monthly"] if plan.audit else
                                ["none"], alerts=[Alert(name="audit gap", threshold="no audit row for a day of writes")]),
        rollback=RollbackProcedures(steps=files.rollback_steps(), validation_queries=[]),
    )
