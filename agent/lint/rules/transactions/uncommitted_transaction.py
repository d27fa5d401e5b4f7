from dbagent.lint._ast import ast
from dbagent.lint._rule import Rule


class UncommittedTransaction(Rule):
    """BEGIN without a COMMIT before the end of the file: the migration's work is rolled back.

    Bad:
        BEGIN;
        CREATE TABLE notes (id bigint PRIMARY KEY);

    Good:
        BEGIN;
        CREATE TABLE notes (id bigint PRIMARY KEY);
        COMMIT;
    """

    id = "uncommitted-transaction"
    group = "transactions"
    severity = "error"
    hint = "end every BEGIN with COMMIT in the same file"

    def check(self, s, ctx):
        if isinstance(s.node, ast.TransactionStmt) and not s.nested:
            open_ = ctx.state(self.id)
            if s.node.kind.name in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                open_[s.source.name] = s
            elif s.node.kind.name in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
                open_.pop(s.source.name, None)
        return ()

    def finish(self, ctx):
        for s in ctx.state(self.id).values():
            yield self.hit(s, f"transaction opened here is never committed in {s.source.name}")
