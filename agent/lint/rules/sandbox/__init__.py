"""F. Dangerous in a sandbox: statements that reach the host; they block execution."""

from dbagent.lint.rules.sandbox.copy_program import CopyProgram
from dbagent.lint.rules.sandbox.server_file_access import ServerFileAccess
from dbagent.lint.rules.sandbox.alter_system import AlterSystem
from dbagent.lint.rules.sandbox.untrusted_language import UntrustedLanguage
from dbagent.lint.rules.sandbox.outbound_connection import OutboundConnection
from dbagent.lint.rules.sandbox.load_library import LoadLibrary
from dbagent.lint.rules.sandbox.disable_trigger import DisableTrigger
from dbagent.lint.rules.sandbox.psql_host_access import PsqlHostAccess
from dbagent.lint.rules.sandbox.role_switch import RoleSwitch

RULES = (
    CopyProgram,
    ServerFileAccess,
    AlterSystem,
    UntrustedLanguage,
    OutboundConnection,
    LoadLibrary,
    DisableTrigger,
    RoleSwitch,
    PsqlHostAccess,
)
