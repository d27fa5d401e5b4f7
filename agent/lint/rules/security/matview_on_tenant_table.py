from dbagent.lint._ast import ast, qualname
from dbagent.lint._catalog import relations_read
from dbagent.lint._rule import Rule


class MatviewOnTenantTable(Rule):
    """A materialized view over tenant tables, readable by application roles: it has no row-level security.

    Bad:
        CREATE MATERIALIZED VIEW invoice_totals AS SELECT tenant_id, sum(total) FROM invoices GROUP BY tenant_id;
        GRANT SELECT ON invoice_totals TO app_user;

    Good:
        CREATE MATERIALIZED VIEW private.invoice_totals AS SELECT tenant_id, sum(total) FROM invoices GROUP BY tenant_id;
        REVOKE ALL ON private.invoice_totals FROM PUBLIC;
    """

    id = "matview-on-tenant-table"
    group = "security"
    severity = "warning"
    hint = ("keep it in a schema the application cannot read, REVOKE it from PUBLIC, "
            "and expose it through a tenant-filtering view or function")

    def check(self, s, ctx):
        node, state = s.node, ctx.state(self.id)
        views = state.setdefault("views", {})
        if isinstance(node, ast.CreateTableAsStmt) and node.objtype.name == "OBJECT_MATVIEW":
            tenant = [r for r in relations_read(node.query) if ctx.is_tenant(r)]
            if tenant:
                views[qualname(node.into.rel)] = (s, tenant[0])
        elif isinstance(node, ast.GrantStmt) and node.objtype.name == "OBJECT_TABLE":
            roles = [r.rolename or "public" for r in node.grantees or ()]
            for rv in node.objects or ():
                if isinstance(rv, ast.RangeVar):
                    key = "granted" if node.is_grant else "revoked"
                    state.setdefault(key, {}).setdefault(qualname(rv), set()).update(roles)
        return ()

    def finish(self, ctx):
        state = ctx.state(self.id)
        for name, (s, table) in state.get("views", {}).items():
            granted = {r for r in state.get("granted", {}).get(name, ()) if not ctx.config.is_admin_role(r)}
            public_default = name.startswith("public.") and "public" not in state.get("revoked", {}).get(name, ())
            if granted or public_default:
                who = ", ".join(sorted(granted)) or "anyone who can use schema public"
                yield self.hit(s, f"materialized view {name} copies tenant table {table} without "
                                  f"row-level security and is readable by {who}")
