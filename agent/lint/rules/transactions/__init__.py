"""B. Transactions: blocks PostgreSQL rejects or that leave work half done."""

from dbagent.lint.rules.transactions.concurrently_in_transaction import ConcurrentlyInTransaction
from dbagent.lint.rules.transactions.transaction_nesting import TransactionNesting
from dbagent.lint.rules.transactions.uncommitted_transaction import UncommittedTransaction
from dbagent.lint.rules.transactions.non_idempotent_ddl import NonIdempotentDdl

RULES = (
    ConcurrentlyInTransaction,
    TransactionNesting,
    UncommittedTransaction,
    NonIdempotentDdl,
)
