from dbagent.lint._ast import ast, qualname
from dbagent.lint._rule import Rule

MAX_COLUMNS = 4


class WideNonuniqueIndex(Rule):
    """A non-unique btree index on more than four key columns: large, slow to maintain, rarely fully used.

    Bad:
        CREATE INDEX orders_wide_idx ON orders (tenant_id, status, region, channel, created_at);

    Good:
        CREATE INDEX orders_status_idx ON orders (tenant_id, status, created_at) INCLUDE (region);
    """

    id = "wide-nonunique-index"
    group = "indexing"
    severity = "warning"
    hint = "keep the columns queries filter and sort on; move the rest to INCLUDE or drop them"

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, ast.IndexStmt) and not node.unique and (node.accessMethod or "btree") == "btree" \
                and len(node.indexParams or ()) > MAX_COLUMNS:
            yield self.hit(s, f"index {node.idxname or '(unnamed)'} on {qualname(node.relation)} has "
                              f"{len(node.indexParams)} key columns")
