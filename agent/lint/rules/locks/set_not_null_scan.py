from dbagent.lint.rules._common import alter_cmds, existing_table
from dbagent.lint._rule import Rule


class SetNotNullScan(Rule):
    """SET NOT NULL on an existing table scans every row under ACCESS EXCLUSIVE.

    Bad:
        ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;

    Good:
        ALTER TABLE orders ADD CONSTRAINT customer_id_not_null CHECK (customer_id IS NOT NULL) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT customer_id_not_null;
        ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;
    """

    id = "set-not-null-scan"
    group = "locks"
    severity = "error"
    hint = "first add CHECK (col IS NOT NULL) NOT VALID and VALIDATE it; PostgreSQL 12+ then skips the scan"

    def check(self, s, ctx):
        table = existing_table(s, ctx)
        if not table:
            return
        for cmd in alter_cmds(s.node, "AT_SetNotNull"):
            if (table, cmd.name) not in ctx.validated_not_null:
                yield self.hit(s, f"SET NOT NULL on {table}.{cmd.name} scans the table under lock")
