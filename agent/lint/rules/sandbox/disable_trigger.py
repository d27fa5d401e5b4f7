from dbagent.lint._ast import qualname
from dbagent.lint.rules._common import alter_cmds
from dbagent.lint._rule import Rule


class DisableTrigger(Rule):
    """DISABLE TRIGGER turns off audit triggers, and with ALL or a system trigger, foreign key enforcement.

    Bad:
        ALTER TABLE orders DISABLE TRIGGER ALL;

    Good:
        -- batch the backfill instead; keep triggers and foreign keys enforced
        UPDATE orders SET region = 'eu' WHERE id BETWEEN 1 AND 5000;
    """

    id = "disable-trigger"
    group = "sandbox"
    severity = "error"
    hint = "keep triggers enabled; batch the work instead"
    nested = True

    def check(self, s, ctx):
        for cmd in alter_cmds(s.node, "AT_DisableTrig", "AT_DisableTrigAll", "AT_DisableTrigUser"):
            which = cmd.name or ("ALL" if cmd.subtype.name == "AT_DisableTrigAll" else "USER")
            yield self.hit(s, f"trigger {which} on {qualname(s.node.relation)} is disabled")
