"""The builtin provider's report for a performance recommendation: the index advisor's plan,
each index justified by the query it serves, built CONCURRENTLY in a non-transactional file."""

from __future__ import annotations

from dbagent.playbooks.indexes import IndexAdvice
from dbagent.playbooks.rls import ident
from dbagent.prompts import render
from dbagent.providers._migration import Migration
from dbagent.report.models import (Alert, ChecklistItem, Classification, Code, Deployment, ImplementationPlan,
                                   Maintenance, Metric, Phase, Report, Requirements, RollbackProcedures,
                                   SuccessMetrics, Summary, Validation)

REPORTS = "migrations/000_reporting_materialized_views.sql"
EXTENSIONS = "migrations/001_query_performance_extensions.sql"
SEARCH = "migrations/002_query_functions.sql"
INDEXES = "migrations/003_query_performance_indexes_concurrently.sql"


def _search_args(s) -> dict:
    return {"document": s.document_sql(), "document_words": ", ".join(s.document),
            "function": s.function, "signature": s.signature, "table": s.table, "schema": s.schema,
            "column": s.column, "column_ident": ident(s.column), "key_ident": ident(s.key), "key_type": s.key_type,
            "tenant": ident(s.tenant) if s.tenant else "", "tenant_type": s.tenant_type or ""}


def performance_report(advice: IndexAdvice, queries: list[str], severity: str, reports=(), rewrites=()) -> Report:
    """The 11 sections, from the advice: which index serves which query, and how it is proved."""
    files = Migration()
    if reports:
        files.add(REPORTS, render("playbooks/matview_up.sql.j2", reports=reports),
                  render("playbooks/matview_down.sql.j2", reports=reports),
                  "materialized views for the reports, their unique indexes and refresh functions", "drops them")
    if advice.extensions:
        files.add(EXTENSIONS, "".join(f"-- {e}: trigram operator classes for substring search\n"
                                      f"CREATE EXTENSION IF NOT EXISTS {e};\n" for e in advice.extensions),
                  "".join(f"DROP EXTENSION IF EXISTS {e};\n" for e in advice.extensions),
                  f"extensions: {', '.join(advice.extensions)}", "drops the extensions")
    if advice.searches or rewrites:
        files.add(SEARCH, "BEGIN;\n" + "\n".join([render("playbooks/search_up.sql.j2", **_search_args(s))
                                                    for s in advice.searches]
                                                   + [f"-- {r.why}\n{r.sql}" for r in rewrites]) + "COMMIT;\n",
                  "BEGIN;\n" + "".join(f"DROP FUNCTION IF EXISTS {s.signature};\n"
                                       for s in [*advice.searches, *rewrites]) + "COMMIT;\n",
                  "functions: ranked search, batch loaders, keyset pagination", "drops those functions")
    if advice.indexes:
        files.add(INDEXES, render("playbooks/indexes_up.sql.j2", indexes=advice.indexes),
                  render("playbooks/indexes_down.sql.j2", indexes=advice.indexes),
                  "non-transactional: CREATE INDEX CONCURRENTLY, one per access path",
                  "non-transactional: drops them", concurrently=True)
    usage = ("SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE indexrelname IN ("
             + ", ".join("'" + i.name.strip('"') + "'" for i in advice.indexes) + ")")
    tables = sorted({i.table for i in advice.indexes})
    return Report(
        title="Indexes for the slow queries (dbagent builtin provider)",
        classification=Classification(level=severity, rationale="the queries scan whole tables"),
        summary=Summary(
            objective=f"Serve {len(queries)} quer{'y' if len(queries) == 1 else 'ies'} from indexes on {', '.join(tables)}.",
            scope="; ".join(i.why for i in advice.indexes) + ("; " + "; ".join(advice.notes) if advice.notes else ""),
            dependencies="Indexes are built CONCURRENTLY outside a transaction"
                         + (f"; needs the extension(s) {', '.join(advice.extensions)}" if advice.extensions else ""),
            risk_assessment="CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE: reads and writes go on; it "
                            "waits for running transactions and leaves an INVALID index if it fails (drop and retry)."),
        requirements=Requirements(
            functional=[f"query {n} reads an index instead of the whole table" for n in range(1, len(queries) + 1)],
            non_functional=["No blocking of writes while building", "Each index justified by a query"]),
        files=files.files(),
        plan=ImplementationPlan(phases=[
            Phase(name="Performance", steps=[r.why for r in reports] + [r.why for r in rewrites]
                  + [i.why for i in advice.indexes]
                  + [f"{s.function}: ranked search on {s.column} (trigram similarity)" for s in advice.searches]),
            Phase(name="Testing", steps=["EXPLAIN each query on synthetic data in the sandbox",
                                         "rollback proved by catalog comparison"])]),
        code=Code(artifacts=files.artifacts()),
        validation=Validation(items=[ChecklistItem(area="performance", text=f"{i.name}: {i.why}")
                                     for i in advice.indexes]
                              + [ChecklistItem(area="schema", text="no index duplicates an existing one")]),
        deployment=Deployment(staging=files.steps() + ["EXPLAIN (ANALYZE, BUFFERS) each query"],
                              production=files.steps() + ["Check pg_index.indisvalid for every new index"]),
        metrics=SuccessMetrics(metrics=[Metric(name="index scans on the new indexes", target="> 0 after a day",
                                               measured_by=usage, query=usage)]),
        maintenance=Maintenance(tasks=["Review idx_scan monthly; drop an index nothing uses",
                                       "REINDEX CONCURRENTLY if bloat grows past 30%"],
                                alerts=[Alert(name="unused new index", threshold="idx_scan = 0 after 30 days")]),
        rollback=RollbackProcedures(steps=files.rollback_steps(), validation_queries=[usage + ";"]),
    )
