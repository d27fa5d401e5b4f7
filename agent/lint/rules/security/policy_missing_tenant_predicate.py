from dbagent.lint._ast import ast, qualname
from dbagent.lint.rules._common import has_tenant_predicate, tied_through_relation
from dbagent.lint._rule import Rule


class PolicyMissingTenantPredicate(Rule):
    """A policy on a tenant table that never compares the tenant key with the tenant setting.

    Bad:
        CREATE POLICY invoices_read ON invoices USING (status <> 'deleted');

    Good:
        CREATE POLICY invoices_read ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid)
                   AND status <> 'deleted');
    """

    id = "policy-missing-tenant-predicate"
    group = "security"
    severity = "error"
    hint = "compare the tenant key with (SELECT current_setting('app.current_tenant_id', true)::<type>)"

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
            return
        table = qualname(node.table)
        if not ctx.is_tenant(table):
            return
        roles = tuple(r.rolename for r in node.roles or () if r.rolename and r.rolename != "public")
        if roles and all(ctx.config.is_admin_role(r) for r in roles):
            return  # an admin override, scoped to admin roles
        if isinstance(node, ast.CreatePolicyStmt) and not node.permissive:
            return  # a restrictive policy only narrows what the permissive ones allow
        exprs = [e for e in (node.qual, node.with_check) if e is not None]
        if isinstance(node, ast.AlterPolicyStmt) and not exprs:
            return
        if not any(has_tenant_predicate(e, table, ctx) or tied_through_relation(e, ctx, need_setting=not roles)
                   for e in exprs):
            yield self.hit(s, f"policy {node.policy_name} on tenant table {table} never checks "
                              f"{ctx.config.tenant_key} against {ctx.config.tenant_setting}")
