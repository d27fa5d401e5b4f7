from dbagent.lint._ast import ast, names, qualname
from dbagent.lint.rules._common import is_forward
from dbagent.lint._rule import Rule


class MissingComment(Rule):
    """A new table or policy without COMMENT ON: the next reader cannot tell what it is for.

    Bad:
        CREATE TABLE notes (id bigint PRIMARY KEY);

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY);
        COMMENT ON TABLE notes IS 'Free-text notes users attach to orders';
    """

    id = "missing-comment"
    group = "hygiene"
    severity = "info"
    hint = "add COMMENT ON TABLE / COMMENT ON POLICY saying why it exists"

    def check(self, s, ctx):
        node, state = s.node, ctx.state(self.id)
        created = state.setdefault("created", {})
        commented = state.setdefault("commented", set())
        if not is_forward(s):
            return ()
        if isinstance(node, ast.CreateStmt):
            created[("table", qualname(node.relation))] = s
        elif isinstance(node, ast.CreatePolicyStmt):
            created[("policy", node.policy_name)] = s
        elif isinstance(node, ast.CommentStmt):
            parts = names(node.object) if isinstance(node.object, (list, tuple)) else []
            if node.objtype.name == "OBJECT_TABLE" and parts:
                commented.add(("table", ".".join(parts) if len(parts) > 1 else f"public.{parts[0]}"))
            elif node.objtype.name == "OBJECT_POLICY" and parts:
                commented.add(("policy", parts[-1]))
        return ()

    def finish(self, ctx):
        state = ctx.state(self.id)
        for (kind, name), s in state.get("created", {}).items():
            if (kind, name) not in state.get("commented", set()):
                yield self.hit(s, f"{kind} {name} has no COMMENT ON")
