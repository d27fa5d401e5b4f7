from dbagent.lint._ast import ast, qualname
from dbagent.lint.rules._common import alter_cmds, is_forward
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

    def check(self, s, ctx):
        """Remember tables this migration makes tenant tables, or strips of RLS."""
        if not is_forward(s):
            return ()
        marked = ctx.state(self.id)
        if isinstance(s.node, (ast.CreateStmt, ast.CreateTableAsStmt)):
            rel = s.node.relation if isinstance(s.node, ast.CreateStmt) else s.node.into.rel
            marked.setdefault(qualname(rel), s)
        for cmd in alter_cmds(s.node, "AT_AddColumn", "AT_DisableRowSecurity"):
            if cmd.subtype.name == "AT_DisableRowSecurity" or cmd.def_.colname == ctx.config.tenant_key:
                marked.setdefault(qualname(s.node.relation), s)
        return ()

    def finish(self, ctx):
        # Tables that were tenant tables without RLS before the migration are not its doing.
        for table, s in ctx.state(self.id).items():
            t = ctx.catalog.table(table)
            if t and t.kind == "table" and not t.rls and ctx.is_tenant(table):
                yield self.hit(s, f"tenant table {table} has no row-level security")
