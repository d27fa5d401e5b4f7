from dbagent.lint._ast import ast, func_name, walk
from dbagent.lint._rule import Rule

EXTENSIONS = {"dblink", "postgres_fdw", "file_fdw", "mysql_fdw", "oracle_fdw", "http", "pgsql_http",
              "plproxy", "pg_net"}
NODES = (ast.CreateForeignServerStmt, ast.CreateUserMappingStmt, ast.CreateForeignTableStmt,
         ast.ImportForeignSchemaStmt, ast.CreateSubscriptionStmt, ast.CreateFdwStmt)


class OutboundConnection(Rule):
    """dblink, foreign data wrappers, foreign servers and subscriptions: connections out of the database.

    Bad:
        CREATE EXTENSION dblink;

    Good:
        -- move data with the application or a separate ETL job, not from inside a migration
        SELECT 1;
    """

    id = "outbound-connection"
    group = "sandbox"
    severity = "error"
    hint = "remove it: migrations never open connections to other servers"
    nested = True

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, ast.CreateExtensionStmt) and node.extname.lower() in EXTENSIONS:
            yield self.hit(s, f"extension {node.extname} connects to other servers")
        elif isinstance(node, NODES):
            yield self.hit(s, f"{type(node).__name__.removesuffix('Stmt')} connects to another server")
        for n in walk(node):
            if isinstance(n, ast.FuncCall) and func_name(n).startswith(("dblink", "http_")):
                yield self.hit(s, f"{func_name(n)}() connects to another server", n)
