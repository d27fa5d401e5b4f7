from dbagent.lint._ast import type_name
from dbagent.lint.rules._common import new_columns
from dbagent.lint._rule import Rule

SERIAL = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}


class PreferIdentity(Rule):
    """serial columns own a loose sequence with its own permissions; identity columns are the standard.

    Bad:
        CREATE TABLE notes (id bigserial PRIMARY KEY);

    Good:
        CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    """

    id = "prefer-identity"
    group = "hygiene"
    severity = "warning"
    hint = "use bigint GENERATED ALWAYS AS IDENTITY"

    def check(self, s, ctx):
        for table, col, _ in new_columns(s.node):
            if type_name(col.typeName) in SERIAL:
                yield self.hit(s, f"column {table}.{col.colname} is {type_name(col.typeName)}", col)
