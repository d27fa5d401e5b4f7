from dbagent.lint.models import Finding
from dbagent.lint._rule import Rule


class IgnoreWithoutReason(Rule):
    """A `-- dbagent:ignore` directive that gives no reason.

    Bad:
        -- dbagent:ignore drop-table
        DROP TABLE legacy_orders;

    Good:
        -- dbagent:ignore drop-table emptied and unused since release 41
        DROP TABLE legacy_orders;
    """

    id = "ignore-without-reason"
    group = "meta"
    severity = "error"
    hint = "write why after the rule id: -- dbagent:ignore <rule-id> <reason>"

    def at(self, ignore, detail: str) -> Finding:
        return Finding(rule=self.id, group=self.group, severity=self.severity_override or self.severity,
                       file=ignore.file, line=ignore.line, column=ignore.column,
                       message=f"ignore directive for {', '.join(ignore.rules) or '(no rule)'} {detail}",
                       hint=self.hint)
