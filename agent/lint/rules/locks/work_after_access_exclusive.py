from dbagent.lint._ast import ast
from dbagent.lint.rules._common import alter_cmds
from dbagent.lint.rules._locking import locks_existing_table
from dbagent.lint._rule import Rule

SLOW = (ast.UpdateStmt, ast.DeleteStmt, ast.InsertStmt, ast.RefreshMatViewStmt, ast.VacuumStmt,
        ast.ClusterStmt, ast.SelectStmt)
SCANNING = ("AT_SetNotNull", "AT_AlterColumnType", "AT_ValidateConstraint")


class WorkAfterAccessExclusive(Rule):
    """Slow work in a transaction that already holds an ACCESS EXCLUSIVE lock blocks every reader meanwhile.

    Bad:
        BEGIN;
        ALTER TABLE orders ADD COLUMN note text;
        UPDATE orders SET note = '' WHERE id < 1000;
        COMMIT;

    Good:
        BEGIN;
        ALTER TABLE orders ADD COLUMN note text;
        COMMIT;
        UPDATE orders SET note = '' WHERE id < 1000;
    """

    id = "work-after-access-exclusive"
    group = "locks"
    severity = "warning"
    hint = "commit right after the statement that takes ACCESS EXCLUSIVE; do slow work in another transaction"

    def check(self, s, ctx):
        holder = ctx.file.tx.access_exclusive
        if not s.in_transaction or holder is None or holder is s or s.nested:
            return
        seen = ctx.state(self.id)
        if seen.get("holder") is not holder and self._slow(s, ctx, holder):
            seen["holder"] = holder
            yield self.hit(s, f"slow work after line {holder.line} took ACCESS EXCLUSIVE in this transaction")

    @staticmethod
    def _slow(s, ctx, holder) -> bool:
        """DML, index builds and scanning ALTERs lengthen the time the lock is held; metadata changes do not."""
        node = s.node
        if isinstance(node, SLOW):
            return True
        if isinstance(node, ast.IndexStmt) and not node.concurrent and locks_existing_table(s, ctx):
            return True
        return any(cmd.subtype.name in SCANNING or (
            cmd.subtype.name == "AT_AddConstraint" and isinstance(cmd.def_, ast.Constraint)
            and not cmd.def_.skip_validation and cmd.def_.contype.name in ("CONSTR_FOREIGN", "CONSTR_CHECK"))
            for cmd in alter_cmds(node))
