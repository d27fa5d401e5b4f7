from dbagent.lint._ast import ast
from dbagent.lint.rules._common import dropped_objects, is_forward
from dbagent.lint._rule import Rule

KINDS = {"OBJECT_VIEW": "view", "OBJECT_MATVIEW": "materialized view", "OBJECT_FUNCTION": "function",
         "OBJECT_PROCEDURE": "procedure", "OBJECT_TYPE": "type", "OBJECT_DOMAIN": "domain",
         "OBJECT_SEQUENCE": "sequence", "OBJECT_TRIGGER": "trigger"}


class DropOtherObject(Rule):
    """DROP of a view, function, type, sequence or trigger in a forward migration can break code that uses it.

    Bad:
        DROP FUNCTION order_total(bigint);

    Good:
        CREATE OR REPLACE FUNCTION order_total(bigint) RETURNS numeric LANGUAGE sql STABLE
            AS $$ SELECT sum(amount) FROM order_lines WHERE order_id = $1 $$;
    """

    id = "drop-other-object"
    group = "destructive"
    severity = "warning"
    hint = "prefer CREATE OR REPLACE, or drop only after callers have moved"

    def check(self, s, ctx):
        node = s.node
        if is_forward(s) and isinstance(node, ast.DropStmt) and node.removeType.name in KINDS:
            for parts in dropped_objects(node):
                yield self.hit(s, f"{KINDS[node.removeType.name]} {'.'.join(parts)} is dropped")
