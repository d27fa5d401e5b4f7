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
        rules = ", ".join(ignore.rules) or "(no rule)"
        return self.finding_at(ignore.file, ignore.line, ignore.column, f"ignore directive for {rules} {detail}")
