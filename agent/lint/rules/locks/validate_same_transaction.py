from dbagent.lint._ast import qualname
from dbagent.lint.rules._common import alter_cmds
from dbagent.lint._rule import Rule


class ValidateSameTransaction(Rule):
    """VALIDATE CONSTRAINT in the transaction that added it keeps the first lock for the whole scan.

    Bad:
        BEGIN;
        ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT amount_positive;
        COMMIT;

    Good:
        ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT amount_positive;
    """

    id = "validate-same-transaction"
    group = "locks"
    severity = "warning"
    hint = "commit after adding the constraint NOT VALID, and validate it in its own transaction"

    def check(self, s, ctx):
        if not s.in_transaction:
            return
        table = qualname(getattr(s.node, "relation", None))
        for cmd in alter_cmds(s.node, "AT_ValidateConstraint"):
            if (table, cmd.name) in ctx.file.tx.constraints_added:
                yield self.hit(s, f"constraint {cmd.name} on {table} is validated in the transaction that added it")
