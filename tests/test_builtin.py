"""The builtin provider (no model): the RLS playbook on schemas the corpus does not have, proven by
running it and then querying as tenants."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from dbagent import implement
from dbagent.lint._engine import parsed
from dbagent.sandbox import load_schema

from conftest import ROOT, run_cli

UUID_PUBLIC = """
CREATE ROLE app_admin NOLOGIN;
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
    "uuid-public": (UUID_PUBLIC, "docs", "doc_pages", "doc_id", "app_admin", lambda: str(uuid.uuid4())),
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
    assert "reads as performance: use an LLM provider" in result.failure


def test_nothing_to_do_is_refused(write, sandbox):
    done = write("done.sql", "CREATE TABLE t (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);\n"
                             "ALTER TABLE t ENABLE ROW LEVEL SECURITY;\nALTER TABLE t FORCE ROW LEVEL SECURITY;\n"
                             "CREATE POLICY p ON t USING (tenant_id = 1);\n")
    result = implement(rec(write), schema=done, provider="builtin", write_run_dir=False)
    assert result.status == "refused" and "nothing for the rls playbook to do" in result.failure
