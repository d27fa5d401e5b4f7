from dbagent.lint._ast import type_name
from dbagent.lint.rules._common import new_columns
from dbagent.lint._rule import Rule

SMALL = {"int4": "integer", "int2": "smallint", "serial": "serial", "serial4": "serial",
         "smallserial": "smallserial", "serial2": "smallserial"}


class PreferBigint(Rule):
    """integer and smallint columns run out (2^31 rows or ids); widening later rewrites the table.

    Bad:
        CREATE TABLE notes (id integer PRIMARY KEY);

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY);
    """

    id = "prefer-bigint"
    group = "hygiene"
    severity = "warning"
    hint = "use bigint for keys and counters"

    def check(self, s, ctx):
        for table, col, _ in new_columns(s.node):
            kind = type_name(col.typeName)
            if kind in SMALL:
                yield self.hit(s, f"column {table}.{col.colname} is {SMALL[kind]}", col)
