from dbagent.lint._ast import qualname
from dbagent.lint.rules._common import alter_cmds, is_forward
from dbagent.lint._rule import Rule


class DropNotNull(Rule):
    """DROP NOT NULL lets NULLs into a column that readers assume is always set.

    Bad:
        ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL;

    Good:
        -- keep the constraint; make the writer supply a value, or add a default
        ALTER TABLE orders ALTER COLUMN customer_id SET DEFAULT 0;
    """

    id = "drop-not-null"
    group = "destructive"
    severity = "warning"
    hint = "make sure every reader handles NULL before relaxing the constraint"

    def check(self, s, ctx):
        if is_forward(s):
            for cmd in alter_cmds(s.node, "AT_DropNotNull"):
                yield self.hit(s, f"column {qualname(s.node.relation)}.{cmd.name} may now be NULL")
