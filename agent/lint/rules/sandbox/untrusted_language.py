from dbagent.lint._ast import ast, def_options
from dbagent.lint._rule import Rule

UNTRUSTED = {"c", "internal", "plpython3u", "plpythonu", "plpython2u", "plperlu", "pltclu", "plsh",
             "plr", "pljavau", "plv8u"}


class UntrustedLanguage(Rule):
    """Functions in C or an untrusted procedural language, or CREATE LANGUAGE: arbitrary code on the server.

    Bad:
        CREATE FUNCTION sh(cmd text) RETURNS text LANGUAGE plpython3u AS $$ import os; return os.popen(cmd).read() $$;

    Good:
        CREATE FUNCTION order_total(bigint) RETURNS numeric LANGUAGE sql STABLE
            AS $$ SELECT sum(amount) FROM order_lines WHERE order_id = $1 $$;
    """

    id = "untrusted-language"
    group = "sandbox"
    severity = "error"
    hint = "write functions in SQL or PL/pgSQL"
    nested = True

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, ast.CreatePLangStmt):
            yield self.hit(s, f"CREATE LANGUAGE {node.plname}")
        elif isinstance(node, ast.CreateExtensionStmt) and node.extname.lower() in UNTRUSTED:
            yield self.hit(s, f"extension {node.extname} is an untrusted language")
        elif isinstance(node, (ast.CreateFunctionStmt, ast.DoStmt)):
            opts = def_options(node.options if isinstance(node, ast.CreateFunctionStmt) else node.args)
            lang = str(opts.get("language", "")).lower()
            if lang in UNTRUSTED:
                yield self.hit(s, f"code in untrusted language {lang}")
