from dbagent.lint._ast import ast, qualname
from dbagent.lint._rule import Rule


class IndexNotConcurrent(Rule):
    """CREATE INDEX on a table that existed before the migration blocks its writes while it builds.

    Bad:
        CREATE INDEX orders_tenant_created_idx ON orders (tenant_id, created_at);

    Good:
        CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_tenant_created_idx ON orders (tenant_id, created_at);
    """

    id = "index-not-concurrent"
    group = "locks"
    severity = "error"
    hint = "use CREATE INDEX CONCURRENTLY in a separate non-transactional file (tables new in this migration are exempt)"

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, ast.IndexStmt) and not node.concurrent and ctx.existed(qualname(node.relation)):
            yield self.hit(s, f"index {node.idxname or '(unnamed)'} on existing table "
                              f"{qualname(node.relation)} is built without CONCURRENTLY")
