from dbagent.lint._ast import ast
from dbagent.lint._rule import Rule


class WorkAfterAccessExclusive(Rule):
    """More work in a transaction that already holds an ACCESS EXCLUSIVE lock blocks every reader meanwhile.

    Bad:
        BEGIN;
        ALTER TABLE orders ADD COLUMN note text;
        UPDATE orders SET note = '' WHERE id < 1000;
        COMMIT;

    Good:
        BEGIN;
        ALTER TABLE orders ADD COLUMN note text;
        COMMIT;
        UPDATE orders SET note = '' WHERE id < 1000;
    """

    id = "work-after-access-exclusive"
    group = "locks"
    severity = "warning"
    hint = "commit right after the statement that takes ACCESS EXCLUSIVE; do other work in another transaction"

    def check(self, s, ctx):
        holder = ctx.file.tx.access_exclusive
        if not s.in_transaction or holder is None or holder is s:
            return
        if isinstance(s.node, (ast.TransactionStmt, ast.VariableSetStmt, ast.CommentStmt)):
            return
        seen = ctx.state(self.id)
        if seen.get("holder") is not holder:
            seen["holder"] = holder
            yield self.hit(s, f"more work after line {holder.line} took ACCESS EXCLUSIVE in this transaction")
