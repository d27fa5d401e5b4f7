from dbagent.lint._ast import type_name
from dbagent.lint.rules._common import new_columns
from dbagent.lint._rule import Rule


class PreferText(Rule):
    """varchar(n) gains nothing over text, and changing n later can lock the table.

    Bad:
        CREATE TABLE notes (id bigint PRIMARY KEY, title varchar(100));

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY, title text CHECK (length(title) <= 100));
    """

    id = "prefer-text"
    group = "hygiene"
    severity = "warning"
    hint = "use text, with a CHECK on length if a limit matters"

    def check(self, s, ctx):
        for table, col, _ in new_columns(s.node):
            if type_name(col.typeName) == "varchar" and col.typeName.typmods:
                yield self.hit(s, f"column {table}.{col.colname} is varchar with a length limit", col)
