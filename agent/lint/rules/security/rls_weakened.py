from dbagent.lint._ast import ast, qualname
from dbagent.lint.rules._common import alter_cmds, dropped_objects, is_forward, qualify
from dbagent.lint._rule import Rule


class RlsWeakened(Rule):
    """A forward migration that disables or un-forces row-level security, or drops a policy it does not replace.

    Bad:
        ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;

    Good:
        DROP POLICY IF EXISTS invoices_tenant ON invoices;
        CREATE POLICY invoices_tenant ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));
    """

    id = "rls-weakened"
    group = "security"
    severity = "error"
    hint = "keep row-level security enabled and forced; replace a policy in the same migration"
    nested = True

    def check(self, s, ctx):
        if not is_forward(s):
            return
        node = s.node
        for cmd in alter_cmds(node, "AT_DisableRowSecurity", "AT_NoForceRowSecurity"):
            what = "disables" if cmd.subtype.name == "AT_DisableRowSecurity" else "un-forces"
            yield self.hit(s, f"migration {what} row-level security on {qualname(node.relation)}")
        if isinstance(node, ast.DropStmt) and node.removeType.name == "OBJECT_POLICY":
            for parts in dropped_objects(node):
                table = qualify(parts[:-1]) if len(parts) > 1 else ""
                ctx.state(self.id)[(table, parts[-1])] = s

    def finish(self, ctx):
        for (table, name), s in ctx.state(self.id).items():
            if not ctx.catalog.policies_on(table):
                yield self.hit(s, f"policy {name} on {table} is dropped and nothing replaces it")
