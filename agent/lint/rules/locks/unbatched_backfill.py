from dbagent.lint._ast import ast, qualname, walk
from dbagent.lint._rule import Rule


class UnbatchedBackfill(Rule):
    """UPDATE or DELETE of a whole existing table in the transaction that changed its structure holds every lock for the whole run.

    Bad:
        BEGIN;
        ALTER TABLE orders ADD COLUMN region text;
        UPDATE orders SET region = 'eu';
        COMMIT;

    Good:
        ALTER TABLE orders ADD COLUMN region text;
        -- later, in batches, each its own transaction:
        UPDATE orders SET region = 'eu' WHERE id IN (SELECT id FROM orders WHERE region IS NULL LIMIT 5000);
    """

    id = "unbatched-backfill"
    group = "locks"
    severity = "warning"
    hint = "backfill outside the DDL transaction, in batches bounded by a key range or LIMIT"

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, (ast.UpdateStmt, ast.DeleteStmt)) or not s.in_transaction:
            return
        table = qualname(node.relation)
        if not ctx.existed(table) or not ctx.file.tx.ddl_tables:
            return
        batched = any(isinstance(n, ast.SelectStmt) and n.limitCount is not None
                      for n in walk(node.whereClause)) if node.whereClause is not None else False
        if not batched:
            verb = "UPDATE" if isinstance(node, ast.UpdateStmt) else "DELETE"
            yield self.hit(s, f"{verb} of existing table {table} runs unbatched in a transaction with DDL")
