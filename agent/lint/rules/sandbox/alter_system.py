from dbagent.lint._ast import ast, const_value, func_name, walk
from dbagent.lint._rule import Rule

SUPERUSER_SETTINGS = {"session_replication_role", "allow_system_table_modifications", "ignore_system_indexes",
                      "zero_damaged_pages", "session_preload_libraries", "dynamic_library_path",
                      "jit_provider", "log_statement", "log_min_duration_statement", "lc_messages",
                      "ignore_checksum_failure", "wal_consistency_checking", "archive_command",
                      "data_directory", "config_file", "hba_file", "shared_preload_libraries"}


class AlterSystem(Rule):
    """ALTER SYSTEM, or a superuser-only setting such as session_replication_role: changes the server, not the schema.

    Bad:
        SET session_replication_role = replica;

    Good:
        SET lock_timeout = '5s';
    """

    id = "alter-system"
    group = "sandbox"
    severity = "error"
    hint = "remove it: server configuration is not part of a migration"
    nested = True

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, ast.AlterSystemStmt):
            yield self.hit(s, f"ALTER SYSTEM changes server setting {node.setstmt.name}")
            return
        setstmts = [node] if isinstance(node, ast.VariableSetStmt) else []
        if isinstance(node, (ast.AlterRoleSetStmt, ast.AlterDatabaseSetStmt)):
            setstmts.append(node.setstmt)
        for st in setstmts:
            if st is not None and st.name in SUPERUSER_SETTINGS:
                yield self.hit(s, f"SET {st.name} is a superuser-only setting")
        for n in walk(node):
            if isinstance(n, ast.FuncCall) and func_name(n) == "set_config" and n.args \
                    and const_value(n.args[0]) in SUPERUSER_SETTINGS:
                yield self.hit(s, f"set_config('{const_value(n.args[0])}') is a superuser-only setting", n)
