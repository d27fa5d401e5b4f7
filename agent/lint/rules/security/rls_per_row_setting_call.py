from dbagent.lint._ast import ast, names, qualname, walk
from dbagent.lint._rule import Rule


class RlsPerRowSettingCall(Rule):
    """current_setting() in a policy not wrapped as (SELECT ...) is evaluated for every row instead of once.

    Bad:
        CREATE POLICY invoices_tenant ON invoices
            USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid);

    Good:
        CREATE POLICY invoices_tenant ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));
    """

    id = "rls-per-row-setting-call"
    group = "security"
    severity = "warning"
    hint = "wrap the call as (SELECT current_setting(...)::type) so the planner runs it once (an initPlan)"

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
            return
        wanted = {"current_setting"} | ctx.catalog.setting_functions
        for expr in (node.qual, node.with_check):
            if expr is None:
                continue
            wrapped = {id(n) for sub in walk(expr) if isinstance(sub, ast.SubLink)
                       for n in walk(sub.subselect)}
            for n in walk(expr):
                if isinstance(n, ast.FuncCall) and id(n) not in wrapped and \
                        names(n.funcname)[-1].lower() in wanted:
                    yield self.hit(s, f"policy {node.policy_name} on {qualname(node.table)} calls "
                                      f"{names(n.funcname)[-1]}() per row", n)
                    return
