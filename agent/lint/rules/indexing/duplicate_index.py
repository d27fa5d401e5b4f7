from dbagent.lint._ast import ast, qualname
from dbagent.lint._catalog import index_column
from dbagent.lint._rule import Rule


class DuplicateIndex(Rule):
    """An index with the same columns as another, or a prefix of another btree index: extra writes, no gain.

    Bad:
        CREATE INDEX orders_tenant_idx ON orders (tenant_id);  -- orders_tenant_created_idx (tenant_id, created_at) exists

    Good:
        CREATE INDEX orders_status_idx ON orders (tenant_id, status);
    """

    id = "duplicate-index"
    group = "indexing"
    severity = "warning"
    hint = "drop the redundant index, or change its columns"

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, ast.IndexStmt) or node.whereClause is not None:
            return
        table = qualname(node.relation)
        cols = tuple(index_column(e) for e in node.indexParams or ())
        method = node.accessMethod or "btree"
        if "(expr)" in cols:
            return
        for other in ctx.catalog.indexes_on(table):
            if other.partial or other.method != method or other.name == node.idxname:
                continue
            same = other.columns == cols
            prefix = method == "btree" and not node.unique and other.columns[:len(cols)] == cols
            if same or prefix:
                yield self.hit(s, f"index {node.idxname or '(unnamed)'} on {table} ({', '.join(cols)}) "
                                  f"duplicates {other.name} ({', '.join(other.columns)})")
                return
