"""The sandbox: a throwaway PostgreSQL where every migration is run, watched and rolled back.

Public API: `get_sandbox()` for the process's server, `dry_run()` to run a migration, the
`Script` input and the evidence models in `dbagent.sandbox.models`.
"""

from dbagent.sandbox._sandbox import Limits, Sandbox, close_sandbox, get_sandbox
from dbagent.sandbox._server import install_signal_cleanup
from dbagent.sandbox._schema import ReadOnlySource, load_schema
from dbagent.sandbox.dryrun import STEPS, Script, dry_run
from dbagent.sandbox.models import DryRunResult
from dbagent.sandbox.verify import VerifyOptions

__all__ = ["STEPS", "DryRunResult", "Limits", "ReadOnlySource", "Sandbox", "Script", "VerifyOptions", "close_sandbox",
           "dry_run", "install_signal_cleanup", "get_sandbox", "load_schema"]
