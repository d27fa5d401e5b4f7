"""The builtin provider (no model): the RLS playbook on schemas the corpus does not have, proven by
running it and then querying as tenants."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from dbagent import implement
from dbagent.report import parse_report
from dbagent.lint._engine import parsed
from dbagent.sandbox import load_schema

from conftest import ROOT, run_cli

UUID_PUBLIC = """
CREATE ROLE docs_admin NOLOGIN;
CREATE TABLE tenants (id uuid PRIMARY KEY);
CREATE TABLE docs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL REFERENCES tenants (id), body text);
CREATE TABLE doc_pages (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, doc_id uuid NOT NULL REFERENCES docs (id), n int);
"""
BIGINT_NAMED = """
CREATE SCHEMA app;
CREATE ROLE platform_admin NOLOGIN;
CREATE TABLE app.accounts (id bigint PRIMARY KEY);
CREATE TABLE app."Invoices" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                            tenant_id bigint NOT NULL REFERENCES app.accounts (id), total numeric);
CREATE TABLE app.invoice_lines (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                invoice_id bigint NOT NULL REFERENCES app."Invoices" (id), amount numeric);
"""
CASES = {
    "uuid-public": (UUID_PUBLIC, "docs", "doc_pages", "doc_id", "docs_admin", lambda: str(uuid.uuid4())),
    "bigint-named-schema-quoted": (BIGINT_NAMED, 'app."Invoices"', "app.invoice_lines", "invoice_id",
                                   "platform_admin", None),
}


def rec(write, text="Tenant isolation is missing: enable row-level security on the tenant tables.\n"):
    return write("rec.md", f"# Security finding\n\n{text}")


def _apply(conn: psycopg.Connection, sql: str) -> None:
    """Statement by statement, as psql runs a file: its own BEGIN/COMMIT, or CONCURRENTLY outside any."""
    conn.autocommit = True
    for node, piece, *_ in parsed(sql):
        if node is not None:
            conn.execute(piece.text)


@pytest.mark.parametrize("case", list(CASES))
def test_rls_playbook_isolates_tenants_and_rolls_back(case, write, tmp_path, sandbox):
    schema, parent, child, fk, admin, key_of = CASES[case]
    schema_file = write("schema.sql", schema)
    result = implement(rec(write), schema=schema_file, provider="builtin", out=tmp_path / "run")
    assert result.status == "verified", result.failure
    assert result.dry_run.rollback.proved and result.provider == "builtin"
    up = sorted((tmp_path / "run" / "migrations").glob("0*_tenant_isolation*.sql"))
    files = {p.name: p.read_text() for p in up if not p.name.endswith(".down.sql")}
    template = load_schema(sandbox, schema, "schema.sql")
    a, b = (key_of(), key_of()) if key_of else (1, 2)
    tenants_table = "tenants" if key_of else "app.accounts"
    cols = "(id, tenant_id)" if key_of else "(tenant_id)"
    vals = "(gen_random_uuid(), %s)" if key_of else "(%s)"
    with sandbox.clone(template) as db, sandbox.connect(db) as conn:
        for name in sorted(files):
            _apply(conn, files[name])
        conn.execute(f"INSERT INTO {tenants_table} (id) VALUES (%s), (%s)", [a, b])
        ids = {}
        for tenant in (a, b):  # as the owner: FORCE makes the policies apply to it too
            conn.execute("SELECT set_config('app.current_tenant_id', %s, false)", [str(tenant)])
            ids[tenant] = conn.execute(f"INSERT INTO {parent} {cols} VALUES {vals} RETURNING id", [tenant]).fetchone()[0]
            conn.execute(f"INSERT INTO {child} ({fk}) VALUES (%s)", [ids[tenant]])
        conn.execute("SELECT set_config('app.current_tenant_id', %s, false)", [str(a)])
        assert conn.execute(f"SELECT count(*) FROM {parent}").fetchone()[0] == 1          # A sees only A
        assert conn.execute(f"SELECT count(*) FROM {child}").fetchone()[0] == 1           # children via parent
        with pytest.raises(psycopg.errors.InsufficientPrivilege):                         # no writes into B
            conn.execute(f"INSERT INTO {child} ({fk}) VALUES (%s)", [ids[b]])
        conn.execute(f"UPDATE {parent} SET tenant_id = tenant_id")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):                         # no moving A's rows to B
            conn.execute(f"UPDATE {parent} SET tenant_id = %s", [b])
        conn.execute("SELECT set_config('app.current_tenant_id', '', false)")
        assert conn.execute(f"SELECT count(*) FROM {parent}").fetchone()[0] == 0          # no tenant: nothing
        schema_name = parent.split(".")[0] if "." in parent else "public"
        conn.execute(f"GRANT SELECT ON {parent} TO {admin}")
        conn.execute(f"GRANT USAGE ON SCHEMA {schema_name} TO {admin}")
        conn.execute(f"GRANT {admin} TO CURRENT_USER")  # the migrator created it: it holds ADMIN
        conn.execute(f"SET ROLE {admin}")
        assert conn.execute(f"SELECT count(*) FROM {parent}").fetchone()[0] == 2          # admin: both tenants' rows


def test_quickstart_runs_offline_as_the_readme_says(tmp_path, sandbox):
    out = tmp_path / "run"
    proc = run_cli("implement", "examples/quickstart/recommendation.md", "--schema", "examples/quickstart/schema.sql",
                   "--out", str(out), "--json", env={"ANTHROPIC_API_KEY": ""})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "verified" and result["provider"] == "builtin"
    assert [f["path"] for f in result["files"]] == [
        "migrations/001_tenant_isolation.sql", "migrations/002_tenant_isolation_indexes_concurrently.sql",
        "migrations/002_tenant_isolation_indexes_concurrently.down.sql", "migrations/001_tenant_isolation.down.sql"]
    assert "public.tasks" in (out / "migrations" / "001_tenant_isolation.sql").read_text()


def test_what_it_cannot_do_is_refused_with_the_reason(write, tmp_path, sandbox):
    slow = rec(write, "The product search endpoint is slow (2 s p95); add indexes for it.\n")
    result = implement(slow, schema=ROOT / "examples/quickstart/schema.sql", provider="builtin", write_run_dir=False)
    assert result.status == "refused" and result.dry_run is None
    assert "names no query" in result.failure and "use an LLM provider" in result.failure
    sketchless = rec(write, "We need a loyalty programme: design the tables for points and rewards.\n")
    result = implement(sketchless, schema=ROOT / "examples/quickstart/schema.sql", provider="builtin",
                       write_run_dir=False)
    assert result.status == "refused" and "use an LLM provider" in result.failure


SHOP = """
CREATE SCHEMA shop;
CREATE TABLE shop.accounts (id bigint PRIMARY KEY);
CREATE TABLE shop."Products" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES shop.accounts (id), title text NOT NULL, specs jsonb NOT NULL DEFAULT '{}',
    archived_at timestamptz, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE shop.reviews (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES shop."Products" (id), stars int NOT NULL);
"""
QUERIES = [
    ("SELECT id, title FROM shop.\"Products\" WHERE tenant_id = $1 AND archived_at IS NULL "
     "AND created_at > now() - interval '30 days' ORDER BY created_at DESC", ["tenant_id", "created_at"]),
    ("SELECT p.id, r.stars FROM shop.\"Products\" p JOIN shop.reviews r ON r.product_id = p.id WHERE p.tenant_id = $1",
     ["product_id"]),
    ("SELECT id FROM shop.\"Products\" WHERE specs @> '{\"wifi\": true}'", ["specs"]),
    ("SELECT id FROM shop.\"Products\" WHERE title ILIKE '%lamp%'", ["title"]),
    ("SELECT id FROM shop.\"Products\" WHERE tenant_id = $1 AND specs ->> 'brand' = $2", ["brand"]),
]


def test_index_advisor_serves_each_query_and_every_index_is_proven_usable(write, sandbox):
    blocks = "".join(f"```sql\n{q};\n```\n\n" for q, _ in QUERIES)
    slow = write("slow.md", "# Product pages are slow\n\nThese queries scan the catalogue:\n\n" + blocks)
    result = implement(slow, schema=write("shop.sql", SHOP), provider="builtin", write_run_dir=False)
    assert result.status == "verified", result.failure
    checks = {c.name: c for c in result.dry_run.checks}
    for number, (_, columns) in enumerate(QUERIES, 1):
        check = checks[f"query {number} can use an index"]
        assert check.passed and check.status == "passed", check.evidence
    order = [c for c in result.dry_run.checks if "columns in the order" in c.name]
    assert order and all(c.status == "passed" for c in order)
    sql = {f.path: f for f in result.files}
    assert any(path.endswith("indexes_concurrently.sql") for path in sql)
    assert result.dry_run.rollback.proved and result.dry_run.rollback.reapplied
    created = [c.name for c in result.dry_run.changes if c.kind == "index" and c.change == "added"]
    assert any("tenant_id_created_at" in n for n in created) and any("trgm" in n for n in created)
    assert any("specs_brand" in n for n in created) and any("product_id" in n for n in created)


def test_nothing_to_do_is_refused(write, sandbox):
    done = write("done.sql", "CREATE TABLE t (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);\n"
                             "ALTER TABLE t ENABLE ROW LEVEL SECURITY;\nALTER TABLE t FORCE ROW LEVEL SECURITY;\n"
                             "CREATE POLICY p ON t USING (tenant_id = 1);\n")
    result = implement(rec(write), schema=done, provider="builtin", write_run_dir=False)
    assert result.status == "refused" and "nothing for the rls playbook to do" in result.failure


SKETCH = """---
kind: feature
table_sketches:
  - name: shop.wishlists
    columns:
      - {name: id, type: bigint, nullable: false, default: "nextval('shop.wishlist_seq')"}
      - {name: tenant_id, type: bigint, nullable: false, references: shop.accounts(id)}
      - {name: product_id, type: bigint, nullable: false, references: "shop.\\"Products\\"(id)"}
      - {name: note, type: varchar(200), check: "length(note) > 0"}
      - {name: created_at, type: timestamptz, nullable: false, default: now()}
      - {name: updated_at, type: timestamptz, nullable: false, default: now()}
---
# Customers want wishlists
"""


def test_feature_tables_from_a_sketch_are_created_isolated_and_maintained(write, sandbox):
    schema = write("shop.sql", SHOP + "CREATE SEQUENCE shop.wishlist_seq;\n")
    result = implement(write("wish.md", SKETCH), schema=schema, provider="builtin", write_run_dir=False)
    assert result.status == "verified", result.failure
    checks = {c.name: c for c in result.dry_run.checks}
    assert checks["shop.wishlists: tenant A sees only its own rows"].status == "passed"
    assert checks["shop.wishlists: tenant A cannot write tenant B's rows"].status == "passed"
    assert checks["shop.wishlists.updated_at moves on UPDATE"].status == "passed"
    added = {(c.kind, c.name) for c in result.dry_run.changes if c.change == "added"}
    assert ("index", "shop.wishlists_tenant_id_idx") in added and ("index", "shop.wishlists_product_id_idx") in added
    assert result.dry_run.rollback.proved


@pytest.mark.parametrize("fragment", ["now()); DROP TABLE shop.accounts; --", "1; SELECT 2", "(SELECT"])
def test_a_sketch_fragment_that_is_not_one_expression_is_refused_not_run(write, sandbox, fragment):
    bad = SKETCH.replace("default: now()}\n      - {name: updated_at", f"default: {json.dumps(fragment)}}}\n      - {{name: updated_at", 1)
    result = implement(write("bad.md", bad), schema=write("shop.sql", SHOP), provider="builtin", write_run_dir=False)
    assert result.status == "refused" and "table sketch: shop.wishlists.created_at default" in result.failure
    assert result.dry_run is None


def test_monitoring_kit_installs_runs_and_rolls_back(write, sandbox):
    rec_ = write("mon.md", "---\nkind: monitoring\n---\n# No observability\n\nAdd database monitoring.\n")
    schema = write("shop.sql", SHOP + "GRANT USAGE ON SCHEMA shop TO ops_admin;\n")
    result = implement(rec_, schema=schema, provider="builtin", write_run_dir=False)
    assert result.status == "verified", result.failure
    ran = {c.name for c in result.dry_run.checks if c.kind == "object" and c.status == "passed"}
    for view in ("database_health", "table_sizes", "index_usage", "unused_indexes", "connections", "activity",
                 "rls_coverage"):
        assert f"view monitoring.{view} selects" in ran
    assert any(n.startswith("function monitoring.check_alerts(") for n in ran)
    assert any(n.startswith("function monitoring.top_queries(") for n in ran)
    assert result.dry_run.rollback.proved
    again = implement(rec_, schema=write("mon.sql", SHOP + "CREATE SCHEMA monitoring;\n"), provider="builtin",
                      write_run_dir=False)
    assert again.status == "refused" and "already has a monitoring schema" in again.failure


CRM = """
CREATE SCHEMA crm;
CREATE TABLE crm.accounts (id bigint PRIMARY KEY);
CREATE TABLE crm.catalog (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES crm.accounts (id), item text NOT NULL);
CREATE TABLE crm.supply_deals (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_id bigint NOT NULL REFERENCES crm.accounts (id), buyer_id bigint NOT NULL REFERENCES crm.accounts (id),
    status text NOT NULL CHECK (status IN ('active', 'ended')), expires_at timestamptz);
GRANT USAGE ON SCHEMA crm TO app_user, crm_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA crm TO app_user, crm_reader;
INSERT INTO crm.accounts VALUES (1), (2), (3);
INSERT INTO crm.catalog (tenant_id, item) VALUES (1, 'a'), (2, 'b'), (2, 'b2'), (3, 'c');
INSERT INTO crm.supply_deals (supplier_id, buyer_id, status, expires_at) VALUES
    (2, 1, 'active', now() + interval '1 day'), (3, 1, 'active', now() - interval '1 day');
"""


def test_shared_reads_and_read_only_roles_are_built_when_asked_and_proven(write, tmp_path, sandbox):
    from dbagent.sandbox import Script
    from dbagent.sandbox.probe import Probe, apply_and_probe
    text = ("# Buyers need their suppliers' catalogue\n\nTenant isolation for `catalog`, plus cross-tenant "
            "read access: a buyer reads the `catalog` of a supplier while an active `supply_deals` row links "
            "them. `crm_reader` is read-only: it must never insert, update or delete.\n")
    out = tmp_path / "run"
    result = implement(write("b2b.md", text), schema=write("crm.sql", CRM), provider="builtin", out=out)
    assert result.status == "verified", result.failure
    checks = {c.name: c for c in result.dry_run.checks}
    shared = checks["crm.catalog: tenant A sees only its own rows"]
    assert shared.status == "passed" and "shared through crm.supply_deals" in shared.evidence
    assert checks["crm.catalog: after expiry of every link in crm.supply_deals, tenant A sees only its own rows"].passed
    assert checks["crm.catalog: after revocation of every link in crm.supply_deals, tenant A sees only its own rows"].passed
    up = [Script(f.path, (out / f.path).read_text(), None, f.role) for f in result.files
          if f.role in ("up", "up-nontransactional")]
    as_1 = (("app.current_tenant_id", "1"),)
    failure, outcomes = apply_and_probe(sandbox, Script("crm.sql", CRM), up, [
        Probe("SELECT count(*) FROM crm.catalog", "app_user", as_1),                  # own 1 + supplier 2's 2
        Probe("SELECT count(*) FROM crm.catalog WHERE tenant_id = 3", "app_user", as_1),  # expired deal
        Probe("SELECT count(*) FROM crm.catalog", "crm_reader", as_1),
        Probe("INSERT INTO crm.catalog (tenant_id, item) VALUES (1, 'x')", "crm_reader", as_1),
        Probe("UPDATE crm.catalog SET item = 'y' WHERE tenant_id = 1", "crm_reader", as_1)])
    assert failure is None
    assert [o.rows[0][0] for o in outcomes[:3]] == [3, 0, 3]
    assert outcomes[3].sqlstate == "42501" and outcomes[4].sqlstate == "42501"


def test_reporting_aggregate_becomes_a_concurrently_refreshable_matview_behind_a_tenant_view(write, sandbox):
    query = ('SELECT tenant_id, date_trunc(\'day\', created_at) AS day, count(*) AS products '
             'FROM shop."Products" GROUP BY tenant_id, date_trunc(\'day\', created_at)')
    rec_ = write("report.md", f"# The catalogue report aggregates on every request\n\n```sql\n{query};\n```\n")
    result = implement(rec_, schema=write("shop.sql", SHOP), provider="builtin", write_run_dir=False)
    assert result.status == "verified", result.failure
    checks = {c.name: c for c in result.dry_run.checks if c.kind == "object"}
    mv = checks['materialized view shop."Products_report_1_mv" selects']
    assert mv.status == "passed" and "refreshed concurrently" in mv.evidence
    assert checks['view shop."Products_report_1" selects'].status == "passed"
    assert checks['function shop."refresh_Products_report_1"() runs'].status == "passed"
    assert not [f for f in result.lint if f.rule == "matview-on-tenant-table"]


def test_audit_trail_and_updated_at_triggers_fire_and_roll_back(write, sandbox):
    schema = write("shop.sql", SHOP.replace("created_at timestamptz NOT NULL DEFAULT now());",
                                            "created_at timestamptz NOT NULL DEFAULT now(), "
                                            "updated_at timestamptz NOT NULL DEFAULT now());", 1))
    rec_ = write("audit.md", "# Who changed the product?\n\nKeep an audit trail of `Products` changes, and keep "
                             "its updated_at current.\n")
    result = implement(rec_, schema=schema, provider="builtin", write_run_dir=False)
    assert result.status == "verified", result.failure
    checks = {c.name: c for c in result.dry_run.checks}
    assert checks['shop."Products".updated_at moves on UPDATE'].status == "passed"
    audit = checks["audit row in shop.audit_log on UPDATE"]
    assert audit.status == "passed" and "2 non-empty" in audit.evidence
    assert checks["shop.audit_log: tenant A sees only its own rows"].status == "passed"
    assert result.dry_run.rollback.proved


def test_query_rewrites_batch_loader_for_n_plus_one_and_keyset_pagination_for_deep_offset(write, sandbox):
    join = 'SELECT p.id, r.stars FROM shop."Products" p JOIN shop.reviews r ON r.product_id = p.id WHERE p.tenant_id = $1'
    deep = ('SELECT id, title FROM shop."Products" WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC '
            'OFFSET 5000 LIMIT 50')
    rec_ = write("n1.md", f"# Product page is slow\n\nThe page runs one reviews query per product (N+1).\n\n"
                          f"```sql\n{join};\n```\n\nThe history pages deep:\n\n```sql\n{deep};\n```\n")
    result = implement(rec_, schema=write("shop.sql", SHOP), provider="builtin", write_run_dir=False)
    assert result.status == "verified", result.failure
    ran = {c.name: c for c in result.dry_run.checks if c.kind == "object"}
    loader = next(c for n, c in ran.items() if n.startswith('function shop."reviews_for_Products"('))
    page = next(c for n, c in ran.items() if n.startswith('function shop."Products_page_2"('))
    assert loader.status == "passed" and page.status == "passed", (loader.evidence, page.evidence)
    assert checks_named(result, "query 2 can use an index").status == "passed"


def checks_named(result, name):
    return next(c for c in result.dry_run.checks if c.name == name)


CORPUS_OUTCOMES = {  # status, and the tables whose isolation checks fail
    "product-search-perf": ("verified", set()),
    "supplier-products-rls": ("failed", {"public.order_items", "public.orders", "public.suppliers"}),
    "supplier-rating-feature": ("failed", {"public.notifications", "public.purchase_orders"}),
    "monitoring-baseline": ("failed", {"app.documents", "app.price_lists"}),
}


@pytest.mark.parametrize("case", sorted(CORPUS_OUTCOMES))
def test_the_corpus_cases_run_end_to_end_and_every_outcome_comes_with_its_evidence(case, sandbox):
    """No code knows these cases; what the builtin provider makes of them is proven or refuted
    in the sandbox. The performance case is verified. In the others, verification fails exactly
    the tables whose policies the schema already had and that leak (USING (true), a legacy
    setting, broad supplier reads): the RLS playbook leaves existing policies alone."""
    from dbagent.lint import LintConfig, build_catalog
    schema = ROOT / "tests/fixtures/schemas" / f"{case}.sql"
    result = implement(ROOT / "tests/fixtures/recommendations" / f"{case}.md", schema=schema, provider="builtin",
                       write_run_dir=False)
    status, leaking = CORPUS_OUTCOMES[case]
    assert result.status == status, result.failure
    assert result.dry_run.rollback.proved and result.dry_run.checks
    failed = [c for c in result.dry_run.checks if c.status == "failed"]
    assert {c.subject for c in failed} == leaking
    assert all(c.kind == "isolation" and c.evidence for c in failed)
    before = build_catalog(schema.read_text(), LintConfig())
    assert all(before.policies_on(table) for table in leaking)  # policies the schema already had
    if failed:
        assert result.failure.startswith("verification:")


def test_risk_assessment_states_the_source_tables_sizes(sandbox, tmp_path):
    name = sandbox.create_database("source")
    try:
        with sandbox.admin(name) as conn:
            conn.execute("CREATE TABLE public.tenants (id uuid PRIMARY KEY)")
            conn.execute("CREATE TABLE public.notes (id bigint PRIMARY KEY, tenant_id uuid NOT NULL "
                         "REFERENCES public.tenants (id), body text)")
            conn.execute("INSERT INTO public.tenants SELECT gen_random_uuid() FROM generate_series(1, 3)")
            conn.execute("INSERT INTO public.notes SELECT g, (SELECT min(id::text)::uuid FROM public.tenants), 'x' "
                         "FROM generate_series(1, 5000) g")
            conn.execute("ANALYZE")
        rec_ = ROOT / "examples/quickstart/recommendation.md"
        result = implement(rec_, schema_from_dsn=sandbox.server.conninfo(name), provider="builtin",
                           out=tmp_path / "run")
    finally:
        sandbox.drop_database(name)
    assert result.status == "verified", result.failure
    risk = parse_report((tmp_path / "run" / "report.md").read_text()).summary.risk_assessment
    assert "Sizes from the source database: public.notes: ~5,000 rows" in risk
    offline = implement(rec_, schema=ROOT / "examples/quickstart/schema.sql", provider="builtin", out=tmp_path / "r2")
    assert "Table sizes are unknown" in parse_report((tmp_path / "r2" / "report.md").read_text()).summary.risk_assessment
    assert offline.status == "verified"
