from dbagent.lint._ast import ast, qualname
from dbagent.lint.rules._common import alter_cmds
from dbagent.lint._rule import Rule


class DetachPartitionNotConcurrent(Rule):
    """DETACH PARTITION without CONCURRENTLY locks the whole partitioned table.

    Bad:
        ALTER TABLE events DETACH PARTITION events_2024;

    Good:
        ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;
    """

    id = "detach-partition-not-concurrent"
    group = "locks"
    severity = "warning"
    hint = "use DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+) outside a transaction"
    min_version = 14

    def check(self, s, ctx):
        for cmd in alter_cmds(s.node, "AT_DetachPartition"):
            if isinstance(cmd.def_, ast.PartitionCmd) and not cmd.def_.concurrent:
                yield self.hit(s, f"partition {cmd.def_.name.relname} detached from "
                                  f"{qualname(s.node.relation)} without CONCURRENTLY")
