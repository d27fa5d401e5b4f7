from dbagent.lint._ast import ast, qualname
from dbagent.lint._catalog import index_column
from dbagent.lint._rule import Rule


class TenantIndexNotLeading(Rule):
    """A btree index on a tenant table that does not start with the tenant key: queries under RLS filter by tenant first.

    Bad:
        CREATE INDEX invoices_created_idx ON invoices (created_at);

    Good:
        CREATE INDEX invoices_tenant_created_idx ON invoices (tenant_id, created_at);
    """

    id = "tenant-index-not-leading"
    group = "indexing"
    severity = "warning"
    hint = "put the tenant key first: (tenant_id, ...)"

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, ast.IndexStmt) or node.unique or (node.accessMethod or "btree") != "btree":
            return
        table = qualname(node.relation)
        t = ctx.catalog.table(table)
        key = ctx.config.tenant_key
        if t is None or key not in t.columns:
            return
        cols = [index_column(e) for e in node.indexParams or ()]
        if cols and cols[0] != key:
            yield self.hit(s, f"index {node.idxname or '(unnamed)'} on tenant table {table} starts with "
                              f"{cols[0]}, not {key}")
