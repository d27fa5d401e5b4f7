from dbagent.lint._rule import Rule


class RlsNotForced(Rule):
    """RLS enabled but not FORCEd: the table owner (often the application's role) bypasses every policy.

    Bad:
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;

    Good:
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
        ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    """

    id = "rls-not-forced"
    group = "security"
    severity = "warning"
    hint = "ALTER TABLE ... FORCE ROW LEVEL SECURITY so the owner is filtered too"

    def finish(self, ctx):
        for table, s in ctx.touched.items():
            t = ctx.catalog.table(table)
            if t and t.rls and not t.forced:
                yield self.hit(s, f"table {table} has row-level security enabled but not forced")
