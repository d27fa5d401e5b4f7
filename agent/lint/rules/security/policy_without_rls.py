from dbagent.lint._ast import ast, qualname
from dbagent.lint._rule import Rule


class PolicyWithoutRls(Rule):
    """A policy on a table without row-level security enabled has no effect at all.

    Bad:
        CREATE POLICY invoices_tenant ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));

    Good:
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
        CREATE POLICY invoices_tenant ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));
    """

    id = "policy-without-rls"
    group = "security"
    severity = "error"
    hint = "ALTER TABLE ... ENABLE ROW LEVEL SECURITY on the policy's table"

    def check(self, s, ctx):
        if isinstance(s.node, ast.CreatePolicyStmt):
            ctx.state(self.id)[(qualname(s.node.table), s.node.policy_name)] = s
        return ()

    def finish(self, ctx):
        for (table, name), s in ctx.state(self.id).items():
            t = ctx.catalog.table(table)
            if t and not t.rls and (table, name) in ctx.catalog.policies:
                yield self.hit(s, f"policy {name} on {table} has no effect: row-level security is not enabled")
