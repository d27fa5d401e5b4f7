from dbagent.lint._ast import ast, qualname
from dbagent.lint.rules._common import is_true_literal
from dbagent.lint._rule import Rule


class PolicyAlwaysTrue(Rule):
    """USING (true) or WITH CHECK (true) for non-admin roles: the policy opens the table to every row.

    Bad:
        CREATE POLICY invoices_all ON invoices USING (true);

    Good:
        CREATE POLICY invoices_admin ON invoices TO platform_admin USING (true);  -- scoped to an admin role
    """

    id = "policy-always-true"
    group = "security"
    severity = "error"
    hint = "scope the policy to an admin role with TO, or write a real predicate"

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
            return
        roles = tuple(r.rolename for r in node.roles or () if r.rolename and r.rolename != "public")
        if roles and all(ctx.config.is_admin_role(r) for r in roles):
            return
        if isinstance(node, ast.CreatePolicyStmt) and not node.permissive:
            return  # AND-ed with the permissive policies: true narrows nothing and widens nothing
        for clause, expr in (("USING", node.qual), ("WITH CHECK", node.with_check)):
            if is_true_literal(expr):
                yield self.hit(s, f"policy {node.policy_name} on {qualname(node.table)} has {clause} (true)", expr)
