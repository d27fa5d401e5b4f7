from dbagent.lint._ast import ast, const_value, func_name, walk
from dbagent.lint._rule import Rule


class SettingWithoutMissingOk(Rule):
    """current_setting('app....') without missing_ok raises an error when the setting is unset, instead of matching no rows.

    Bad:
        CREATE POLICY invoices_tenant ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id')::uuid));

    Good:
        CREATE POLICY invoices_tenant ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));
    """

    id = "setting-without-missing-ok"
    group = "security"
    severity = "warning"
    hint = "pass true as the second argument: current_setting('app.current_tenant_id', true)"
    nested = True

    def check(self, s, ctx):
        for n in walk(s.node):
            if isinstance(n, ast.FuncCall) and func_name(n) == "current_setting" and n.args:
                name = const_value(n.args[0])
                if isinstance(name, str) and (name.startswith("app.") or name == ctx.config.tenant_setting) \
                        and (len(n.args) < 2 or const_value(n.args[1]) is not True):
                    yield self.hit(s, f"current_setting('{name}') errors when the setting is unset", n)
