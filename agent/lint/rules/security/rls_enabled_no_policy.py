from dbagent.lint._rule import Rule


class RlsEnabledNoPolicy(Rule):
    """RLS enabled with no policy denies every row to everyone but the owner (and to the owner too when forced).

    Bad:
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;

    Good:
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
        CREATE POLICY invoices_tenant ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));
    """

    id = "rls-enabled-no-policy"
    group = "security"
    severity = "warning"
    hint = "create the policies in the same migration that enables row-level security"

    def finish(self, ctx):
        for table, s in ctx.touched.items():
            t = ctx.catalog.table(table)
            if t and t.rls and not ctx.catalog.policies_on(table):
                yield self.hit(s, f"table {table} has row-level security but no policy: every row is hidden")
