"""`dbagent mcp`: serve dbagent's tools to agents over MCP (stdio, or streamable HTTP on loopback)."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from dbagent.cli._common import handles_errors
from dbagent.errors import UserError


@handles_errors
def mcp(
    http: Annotated[Optional[str], typer.Option(help="Serve streamable HTTP on HOST:PORT (e.g. 127.0.0.1:8765) instead of stdio.")] = None,
    allow_remote: Annotated[bool, typer.Option(help="Allow a non-loopback HOST; a bearer token is then required.")] = False,
    token: Annotated[Optional[str], typer.Option(help="Bearer token HTTP clients must send (env: DBAGENT_MCP_TOKEN).")] = None,
) -> None:
    """Run the MCP server: implement_recommendation, lint_sql, dry_run_sql, describe_rules."""
    from dbagent.mcp.server import serve

    if http is None:
        serve("stdio")
        return
    host, sep, port = http.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UserError(f"--http expects HOST:PORT, got {http!r}")
    serve("http", host.strip("[]"), int(port), allow_remote, token or os.environ.get("DBAGENT_MCP_TOKEN"),
          announce=lambda line: print(line, file=sys.stderr, flush=True))
