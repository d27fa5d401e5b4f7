from dbagent.lint._ast import ast, def_options, names
from dbagent.lint._rule import Rule


class SecurityDefinerNoSearchPath(Rule):
    """A SECURITY DEFINER function without SET search_path can be hijacked by objects in the caller's schemas.

    Bad:
        CREATE FUNCTION tenant_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
            AS $$ SELECT count(*) FROM invoices $$;

    Good:
        CREATE FUNCTION tenant_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
            SET search_path = pg_catalog, public
            AS $$ SELECT count(*) FROM public.invoices $$;
    """

    id = "security-definer-no-search-path"
    group = "security"
    severity = "error"
    hint = "add SET search_path = pg_catalog, <schema> (and schema-qualify objects in the body)"

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, (ast.CreateFunctionStmt, ast.AlterFunctionStmt)):
            opts = node.options if isinstance(node, ast.CreateFunctionStmt) else node.actions
            if def_options(opts).get("security") is not True:
                return
            sets_path = any(d.defname == "set" and isinstance(d.arg, ast.VariableSetStmt)
                            and d.arg.name == "search_path" for d in opts or ())
            if not sets_path:
                fname = names(node.funcname if isinstance(node, ast.CreateFunctionStmt) else node.func.objname)
                yield self.hit(s, f"SECURITY DEFINER function {'.'.join(fname)} has no fixed search_path")
