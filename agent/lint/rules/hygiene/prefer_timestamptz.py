from dbagent.lint._ast import type_name
from dbagent.lint.rules._common import new_columns
from dbagent.lint._rule import Rule


class PreferTimestamptz(Rule):
    """timestamp without time zone stores wall-clock times that shift meaning with the session's zone.

    Bad:
        CREATE TABLE notes (id bigint PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now());

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
    """

    id = "prefer-timestamptz"
    group = "hygiene"
    severity = "warning"
    hint = "use timestamptz"

    def check(self, s, ctx):
        for table, col, _ in new_columns(s.node):
            if type_name(col.typeName) == "timestamp":
                yield self.hit(s, f"column {table}.{col.colname} is timestamp without time zone", col)
