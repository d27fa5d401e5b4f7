"""The rule catalogue, group by group (see ../shared/design/lint-rules.md for the groups)."""

from dbagent.lint.rules import destructive, hygiene, indexing, locks, meta, sandbox, security, transactions

ALL_RULES = (*locks.RULES, *transactions.RULES, *destructive.RULES, *security.RULES, *indexing.RULES,
             *sandbox.RULES, *hygiene.RULES, *meta.RULES)
GROUPS = {"locks": "A", "transactions": "B", "destructive": "C", "security": "D", "indexing": "E",
          "sandbox": "F", "hygiene": "G", "meta": "-"}
