from dbagent.lint._ast import ast, def_options, qualname
from dbagent.lint._catalog import relations_read
from dbagent.lint._rule import Rule


class SecurityDefinerView(Rule):
    """A view over a tenant table without security_invoker runs as its owner and bypasses the table's RLS.

    Bad:
        CREATE VIEW open_invoices AS SELECT * FROM invoices WHERE status = 'open';

    Good:
        CREATE VIEW open_invoices WITH (security_invoker = true) AS
            SELECT * FROM invoices WHERE status = 'open';
    """

    id = "security-definer-view"
    group = "security"
    severity = "error"
    hint = "create the view WITH (security_invoker = true) (PostgreSQL 15+)"
    min_version = 15

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, ast.ViewStmt):
            return
        invoker = str(def_options(node.options).get("security_invoker", "")).lower() in ("true", "on", "1", "yes")
        tenant = [r for r in relations_read(node.query) if ctx.is_tenant(r)]
        if not invoker and tenant:
            yield self.hit(s, f"view {qualname(node.view)} reads tenant table {tenant[0]} as its owner, "
                              "bypassing row-level security")
