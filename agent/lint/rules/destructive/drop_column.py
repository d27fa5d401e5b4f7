from dbagent.lint._ast import qualname
from dbagent.lint.rules._common import alter_cmds, is_forward
from dbagent.lint._rule import Rule


class DropColumn(Rule):
    """DROP COLUMN deletes data and breaks queries that still name the column.

    Bad:
        ALTER TABLE orders DROP COLUMN legacy_code;

    Good:
        -- release 1 stops reading and writing the column; a later release drops it
        COMMENT ON COLUMN orders.legacy_code IS 'deprecated: unused since release 41';
    """

    id = "drop-column"
    group = "destructive"
    severity = "warning"
    hint = "remove every use of the column in an earlier release, then drop it"

    def check(self, s, ctx):
        if not is_forward(s):
            return
        for cmd in alter_cmds(s.node, "AT_DropColumn"):
            table = qualname(s.node.relation)
            if table not in ctx.created:
                yield self.hit(s, f"column {table}.{cmd.name} is dropped with its data")
