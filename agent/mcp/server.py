"""The MCP server: implement_recommendation, lint_sql, dry_run_sql and describe_rules.

Tool inputs and outputs are the pydantic models the CLI and Python API use, so their JSON
Schemas are the ones in schemas/. Blocking work runs in worker threads; each call gets its
own scratch databases (the sandbox clones per run), so concurrent calls never share one.
Errors become MCP tool errors with the same one-line messages as the CLI.
"""

from __future__ import annotations

import ipaddress
import secrets
import tempfile
from pathlib import Path
from typing import Literal

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field

from dbagent import api
from dbagent.errors import DbagentError, UserError
from dbagent.lint import LintReport, RuleDoc, SqlSource, lint, load_config, rule_docs
from dbagent.result import Result
from dbagent.sandbox import install_signal_cleanup


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImplementInput(_Strict):
    recommendation: str = Field(description="the recommendation's markdown, or a path to it")
    schema_sql: str | None = Field(None, description="the database's schema as SQL (DDL or pg_dump output)")
    schema_path: str | None = Field(None, description="or a path to such a file")
    schema_from_dsn: str | None = Field(None, description="or a database to dump it from, read-only")
    provider: str | None = Field(None, description="anthropic[:MODEL], replay:PATH or builtin")
    model: str | None = None
    max_iterations: int = Field(3, ge=1, le=10)


class LintInput(_Strict):
    sql: str
    file_name: str = "migration.sql"
    rollback_sql: str | None = None
    schema_sql: str | None = None


class DryRunInput(_Strict):
    up_sql: str
    down_sql: str | None = None
    schema_sql: str | None = None
    verify: bool = Field(True, description="synthetic data, tenant isolation, index, lock and object checks")
    queries_sql: str | None = Field(None, description="queries the change must serve, for the EXPLAIN checks")


def _text_or_file(value: str, folder: Path, name: str) -> Path:
    """A path the API can read: the value itself when it names a file, else the text written out."""
    candidate = Path(value) if "\n" not in value and len(value) < 4096 else None
    if candidate is not None and candidate.is_file():
        return candidate
    path = folder / name
    path.write_text(value)
    return path


def run_implement(args: ImplementInput, progress=None) -> Result:
    with tempfile.TemporaryDirectory(prefix="dbagent-mcp-") as tmp:
        folder = Path(tmp)
        rec = _text_or_file(args.recommendation, folder, "recommendation.md")
        if sum(x is not None for x in (args.schema_sql, args.schema_path, args.schema_from_dsn)) != 1:
            raise UserError("give exactly one of schema_sql, schema_path, schema_from_dsn")
        schema = (_text_or_file(args.schema_sql, folder, "schema.sql") if args.schema_sql is not None
                  else args.schema_path)
        return api.implement(rec, schema=schema, schema_from_dsn=args.schema_from_dsn, provider=args.provider,
                             model=args.model, max_iterations=args.max_iterations, write_run_dir=False,
                             progress=progress)


def run_lint(args: LintInput) -> LintReport:
    sources = [SqlSource(name=args.file_name, text=args.sql)]
    if args.rollback_sql is not None:
        sources.append(SqlSource(name=f"{Path(args.file_name).stem}.down.sql", text=args.rollback_sql, role="down"))
    return lint(sources, args.schema_sql, load_config())


def run_dry_run(args: DryRunInput) -> Result:
    with tempfile.TemporaryDirectory(prefix="dbagent-mcp-") as tmp:
        folder = Path(tmp)
        up = _text_or_file(args.up_sql, folder, "up.sql")
        down = [_text_or_file(args.down_sql, folder, "down.sql")] if args.down_sql else []
        schema = _text_or_file(args.schema_sql, folder, "schema.sql") if args.schema_sql else None
        queries = _text_or_file(args.queries_sql, folder, "queries.sql") if args.queries_sql else None
        return api.dry_run([up], rollback=down, schema=schema, verify=args.verify, queries=queries)


def build_server(token: str | None = None):
    """The MCPServer with dbagent's four tools."""
    server = MCPServer("dbagent", instructions=(
        "Turns database recommendations into proven PostgreSQL implementations: every migration is "
        "linted, run in a throwaway PostgreSQL, rolled back and proved. Call implement_recommendation "
        "with the recommendation and the schema; act on the Result's status."))

    async def _blocking(fn, *args):
        try:
            return await anyio.to_thread.run_sync(lambda: fn(*args))
        except DbagentError as exc:
            raise ToolError(str(exc)) from None

    @server.tool(description="Implement a recommendation: the 11-section report and its migrations, "
                             "linted, dry-run with rollback proof. Returns the Result.")
    async def implement_recommendation(args: ImplementInput, ctx: Context) -> Result:
        portal = anyio.from_thread
        step = {"n": 0}

        def progress(line: str) -> None:
            step["n"] += 1
            try:
                portal.run(ctx.report_progress, step["n"], None, line)
            except Exception:  # a client that does not want progress: carry on
                pass

        await ctx.report_progress(0, None, "starting")
        return await _blocking(run_implement, args, progress)

    @server.tool(description="Lint SQL (optionally with its rollback and the schema before it). Returns findings.")
    async def lint_sql(args: LintInput) -> LintReport:
        return await _blocking(run_lint, args)

    @server.tool(description="Dry-run SQL in a throwaway PostgreSQL, with rollback proof when a rollback is "
                             "given. Returns the Result with per-statement evidence.")
    async def dry_run_sql(args: DryRunInput) -> Result:
        return await _blocking(run_dry_run, args)

    @server.tool(description="The lint rule catalogue: id, group, severity, what it catches, how to fix it.")
    def describe_rules() -> list[RuleDoc]:
        return rule_docs()

    return server


def check_bind(host: str, allow_remote: bool, token: str | None) -> str | None:
    """Loopback only, unless --allow-remote, and then a bearer token is required (one is made if absent)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        return token
    if not allow_remote:
        raise UserError(f"refusing to listen on {host}: not a loopback address (pass --allow-remote, "
                        "and a bearer token, to serve other machines)")
    return token or secrets.token_urlsafe(32)


Transport = Literal["stdio", "http"]


class _BearerAuth:
    """ASGI middleware: every HTTP request must carry `Authorization: Bearer <token>`."""

    def __init__(self, app, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if not secrets.compare_digest(headers.get(b"authorization", b""), self.expected):
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": b"missing or wrong bearer token\n"})
                return
        await self.app(scope, receive, send)


def serve(transport: Transport = "stdio", host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False,
          token: str | None = None, announce=print) -> None:
    """Run until stopped: stdio, or streamable HTTP at http://HOST:PORT/mcp."""
    # The sandbox starts on a worker thread, where no signal handler can be installed: install
    # it here, so SIGTERM from the client (the SDK's stdio_client sends it) stops the server.
    install_signal_cleanup()
    if transport == "stdio":
        build_server().run("stdio")
        return
    token = check_bind(host, allow_remote, token)
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    server = build_server()
    security = None if not allow_remote else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    app = server.streamable_http_app(host=host, transport_security=security)
    if token:
        app = _BearerAuth(app, token)
        if allow_remote:
            announce(f"dbagent mcp: bearer token for this server: {token}")
    announce(f"dbagent mcp: serving streamable HTTP on http://{host}:{port}/mcp")
    uvicorn.run(app, host=host, port=port, log_level="warning")
