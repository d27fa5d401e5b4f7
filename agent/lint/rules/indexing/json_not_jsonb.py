from dbagent.lint._ast import type_name
from dbagent.lint.rules._common import new_columns
from dbagent.lint._rule import Rule


class JsonNotJsonb(Rule):
    """A json column cannot be indexed with GIN or compared; jsonb is almost always what is meant.

    Bad:
        CREATE TABLE events (id bigint PRIMARY KEY, payload json);

    Good:
        CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);
    """

    id = "json-not-jsonb"
    group = "indexing"
    severity = "warning"
    hint = "use jsonb (unless you must keep key order and duplicate keys verbatim)"

    def check(self, s, ctx):
        for table, col, _ in new_columns(s.node):
            if type_name(col.typeName) == "json":
                yield self.hit(s, f"column {table}.{col.colname} is json, not jsonb", col)
