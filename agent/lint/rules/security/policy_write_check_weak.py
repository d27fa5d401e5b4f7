from dbagent.lint._ast import ast, qualname
from dbagent.lint.rules._common import has_tenant_predicate
from dbagent.lint._rule import Rule


class PolicyWriteCheckWeak(Rule):
    """An INSERT policy without a tenant WITH CHECK, or a WITH CHECK looser than USING: rows can be written into other tenants.

    Bad:
        CREATE POLICY invoices_insert ON invoices FOR INSERT WITH CHECK (true);

    Good:
        CREATE POLICY invoices_insert ON invoices FOR INSERT
            WITH CHECK (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));
    """

    id = "policy-write-check-weak"
    group = "security"
    severity = "error"
    hint = "give INSERT/UPDATE/ALL policies a WITH CHECK that ties the row to the current tenant"

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, ast.CreatePolicyStmt):
            return
        table = qualname(node.table)
        roles = tuple(r.rolename for r in node.roles or () if r.rolename)
        if not ctx.is_tenant(table) or (roles and all(ctx.config.is_admin_role(r) for r in roles)):
            return
        if not node.permissive:
            return  # a restrictive policy only narrows: it lets no row in that the permissive ones refuse
        cmd = node.cmd_name or "all"
        if cmd == "insert" and not has_tenant_predicate(node.with_check, table, ctx):
            yield self.hit(s, f"INSERT policy {node.policy_name} on {table} lets rows into any tenant")
        elif cmd in ("all", "update") and node.with_check is not None \
                and has_tenant_predicate(node.qual, table, ctx) \
                and not has_tenant_predicate(node.with_check, table, ctx):
            yield self.hit(s, f"policy {node.policy_name} on {table}: WITH CHECK is looser than USING, "
                              "rows can be moved to another tenant")
