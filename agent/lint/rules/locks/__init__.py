"""A. Locks and downtime: statements that block the application on tables that already exist."""

from dbagent.lint.rules.locks.index_not_concurrent import IndexNotConcurrent
from dbagent.lint.rules.locks.drop_index_not_concurrent import DropIndexNotConcurrent
from dbagent.lint.rules.locks.reindex_not_concurrent import ReindexNotConcurrent
from dbagent.lint.rules.locks.detach_partition_not_concurrent import DetachPartitionNotConcurrent
from dbagent.lint.rules.locks.constraint_not_valid_missing import ConstraintNotValidMissing
from dbagent.lint.rules.locks.validate_same_transaction import ValidateSameTransaction
from dbagent.lint.rules.locks.set_not_null_scan import SetNotNullScan
from dbagent.lint.rules.locks.volatile_default_rewrite import VolatileDefaultRewrite
from dbagent.lint.rules.locks.column_type_rewrite import ColumnTypeRewrite
from dbagent.lint.rules.locks.unique_or_pk_without_index import UniqueOrPkWithoutIndex
from dbagent.lint.rules.locks.missing_lock_timeout import MissingLockTimeout
from dbagent.lint.rules.locks.missing_statement_timeout import MissingStatementTimeout
from dbagent.lint.rules.locks.work_after_access_exclusive import WorkAfterAccessExclusive
from dbagent.lint.rules.locks.rewrite_under_lock import RewriteUnderLock
from dbagent.lint.rules.locks.unbatched_backfill import UnbatchedBackfill

RULES = (
    IndexNotConcurrent,
    DropIndexNotConcurrent,
    ReindexNotConcurrent,
    DetachPartitionNotConcurrent,
    ConstraintNotValidMissing,
    ValidateSameTransaction,
    SetNotNullScan,
    VolatileDefaultRewrite,
    ColumnTypeRewrite,
    UniqueOrPkWithoutIndex,
    MissingLockTimeout,
    MissingStatementTimeout,
    WorkAfterAccessExclusive,
    RewriteUnderLock,
    UnbatchedBackfill,
)
