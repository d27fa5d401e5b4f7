from dbagent.lint._ast import type_name
from dbagent.lint.rules._common import alter_cmds, column_default, constraint_kinds, existing_table
from dbagent.lint._rule import Rule

SERIAL = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}


class AddRequiredColumn(Rule):
    """ADD COLUMN ... NOT NULL without a default fails on a table that has rows, and breaks existing inserts.

    Bad:
        ALTER TABLE orders ADD COLUMN region text NOT NULL;

    Good:
        ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';
    """

    id = "add-required-column"
    group = "destructive"
    severity = "error"
    hint = "give the column a constant default, or add it nullable, backfill, then SET NOT NULL safely"

    def check(self, s, ctx):
        table = existing_table(s, ctx)
        if not table:
            return
        for cmd in alter_cmds(s.node, "AT_AddColumn"):
            col = cmd.def_
            kinds = constraint_kinds(col)
            if ("CONSTR_NOTNULL" in kinds or "CONSTR_PRIMARY" in kinds) and column_default(col) is None \
                    and not kinds & {"CONSTR_IDENTITY", "CONSTR_GENERATED"} and type_name(col.typeName) not in SERIAL:
                yield self.hit(s, f"NOT NULL column {table}.{col.colname} is added without a default", col)
