from dbagent.lint._ast import ast
from dbagent.lint._rule import Rule

OPEN = ("TRANS_STMT_BEGIN", "TRANS_STMT_START")
CLOSE = ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK")


class TransactionNesting(Rule):
    """BEGIN inside an open transaction, or COMMIT/ROLLBACK with none open (or where the tool already wraps the file).

    Bad:
        BEGIN;
        BEGIN;
        CREATE TABLE notes (id bigint PRIMARY KEY);
        COMMIT;

    Good:
        BEGIN;
        CREATE TABLE notes (id bigint PRIMARY KEY);
        COMMIT;
    """

    id = "transaction-nesting"
    group = "transactions"
    severity = "error"
    hint = "one BEGIN ... COMMIT per transaction; drop them if your migration tool wraps each file"

    def check(self, s, ctx):
        if not isinstance(s.node, ast.TransactionStmt) or s.nested:
            return
        kind = s.node.kind.name
        if kind in OPEN and (ctx.file.tx.explicit or ctx.config.assume_in_transaction):
            yield self.hit(s, "BEGIN inside a transaction that is already open")
        elif kind in CLOSE and not ctx.file.tx.explicit:
            word = "COMMIT" if kind == "TRANS_STMT_COMMIT" else "ROLLBACK"
            yield self.hit(s, f"{word} with no transaction opened in this file")
