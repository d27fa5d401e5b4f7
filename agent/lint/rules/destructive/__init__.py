"""C. Destructive and backward-incompatible changes."""

from dbagent.lint.rules.destructive.drop_table import DropTable
from dbagent.lint.rules.destructive.drop_column import DropColumn
from dbagent.lint.rules.destructive.drop_schema import DropSchema
from dbagent.lint.rules.destructive.drop_other_object import DropOtherObject
from dbagent.lint.rules.destructive.rename_object import RenameObject
from dbagent.lint.rules.destructive.drop_not_null import DropNotNull
from dbagent.lint.rules.destructive.add_required_column import AddRequiredColumn
from dbagent.lint.rules.destructive.truncate_cascade import TruncateCascade
from dbagent.lint.rules.destructive.unbounded_delete import UnboundedDelete
from dbagent.lint.rules.destructive.drop_cascade_in_forward import DropCascadeInForward

RULES = (
    DropTable,
    DropColumn,
    DropSchema,
    DropOtherObject,
    RenameObject,
    DropNotNull,
    AddRequiredColumn,
    TruncateCascade,
    UnboundedDelete,
    DropCascadeInForward,
)
