from dbagent.lint._rule import Rule


class TenantTableRlsDisabled(Rule):
    """A tenant table (with the tenant key, or reaching one by a NOT NULL foreign key) left without row-level security.

    Bad:
        CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, total numeric);

    Good:
        CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, total numeric);
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
        ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
        CREATE POLICY invoices_tenant ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));
    """

    id = "tenant-table-rls-disabled"
    group = "security"
    severity = "error"
    hint = "ALTER TABLE ... ENABLE and FORCE ROW LEVEL SECURITY, with a tenant policy"

    def finish(self, ctx):
        for table, s in ctx.touched.items():
            t = ctx.catalog.table(table)
            if t and t.kind == "table" and not t.rls and ctx.is_tenant(table):
                yield self.hit(s, f"tenant table {table} has no row-level security")
