from dbagent.lint._rule import Rule

COMMANDS = ("select", "insert", "update", "delete")


class PermissivePolicySprawl(Rule):
    """Several PERMISSIVE policies for the same role and command are OR-ed: the loosest one wins.

    Bad:
        CREATE POLICY a ON invoices USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));
        CREATE POLICY b ON invoices USING (status = 'public');

    Good:
        CREATE POLICY a ON invoices
            USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid) AND status <> 'hidden');
    """

    id = "permissive-policy-sprawl"
    group = "security"
    severity = "warning"
    hint = "merge them into one policy per role and command, or make extra conditions AS RESTRICTIVE"

    def finish(self, ctx):
        for table, s in ctx.touched.items():
            seen: dict[tuple[str, str], list[str]] = {}
            for p in ctx.catalog.policies_on(table):
                if not p.permissive or ctx.policy_is_admin_only(p):
                    continue
                for role in p.roles or ("public",):
                    for cmd in COMMANDS if p.command == "all" else (p.command,):
                        seen.setdefault((role, cmd), []).append(p.name)
            for (role, cmd), pols in sorted(seen.items()):
                if len(pols) > 1:
                    yield self.hit(s, f"table {table}: permissive policies {', '.join(sorted(pols))} "
                                      f"are OR-ed for {role} on {cmd.upper()}")
                    break
