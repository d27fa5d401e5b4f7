"""dbagent as an MCP server, driven by the official MCP client over stdio and streamable HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import anyio
import httpx2
import jsonschema
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from conftest import ROOT, run_cli

SCHEMAS = {name: json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text()) for name in ("result", "lint")}
REC = str(ROOT / "examples/quickstart/recommendation.md")
SCHEMA = str(ROOT / "examples/quickstart/schema.sql")
ENV = {"ANTHROPIC_API_KEY": "", "DBAGENT_DEBUG": ""}
CLI = [sys.executable, "-c", "from dbagent.cli import main; main()", "mcp"]


async def exercise(session: ClientSession) -> None:
    """What every transport must support: list, lint, dry-run, rules, two implements at once."""
    await session.initialize()
    tools = {t.name: t for t in (await session.list_tools()).tools}
    assert set(tools) == {"implement_recommendation", "lint_sql", "dry_run_sql", "describe_rules"}
    assert tools["implement_recommendation"].output_schema["properties"]["status"]

    lint = await session.call_tool("lint_sql", {"args": {"sql": "COPY t TO PROGRAM 'id';", "file_name": "x.sql"}})
    assert not lint.is_error
    jsonschema.validate(lint.structured_content, SCHEMAS["lint"])
    assert [f["rule"] for f in lint.structured_content["findings"]][:1] == ["copy-program"]

    dry = await session.call_tool("dry_run_sql", {"args": {
        "up_sql": "CREATE TABLE t (id bigint PRIMARY KEY);", "down_sql": "DROP TABLE t;"}})
    jsonschema.validate(dry.structured_content, SCHEMAS["result"])
    assert dry.structured_content["status"] == "verified"
    leaky = await session.call_tool("dry_run_sql", {"args": {
        "schema_sql": "CREATE TABLE tenants (id uuid PRIMARY KEY);\nCREATE TABLE docs (id bigint PRIMARY KEY, "
                      "tenant_id uuid NOT NULL REFERENCES tenants (id));\nGRANT SELECT ON docs TO app_user;",
        "up_sql": "ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON docs USING (true);",
        "queries_sql": "SELECT id FROM docs WHERE tenant_id = $1;"}})
    checks = {c["name"]: c for c in leaky.structured_content["dry_run"]["checks"]}
    assert leaky.structured_content["status"] == "failed"
    assert not checks["public.docs: tenant A sees only its own rows"]["passed"]
    assert "query 1 can use an index" in checks

    rules = await session.call_tool("describe_rules", {})
    assert "index-not-concurrent" in json.dumps(rules.structured_content)

    progress: list[str] = []

    async def on_progress(value, total, message):
        progress.append(message)

    results = []

    async def implement():
        res = await session.call_tool("implement_recommendation", {"args": {
            "recommendation": REC, "schema_path": SCHEMA, "provider": "builtin"}}, progress_callback=on_progress)
        results.append(res)

    async with anyio.create_task_group() as tg:  # two at once: separate scratch databases
        tg.start_soon(implement)
        tg.start_soon(implement)
    for res in results:
        assert not res.is_error
        jsonschema.validate(res.structured_content, SCHEMAS["result"])
        assert res.structured_content["status"] == "verified", res.structured_content["failure"]
    assert any("generating" in (m or "") for m in progress)

    bad = await session.call_tool("implement_recommendation", {"args": {"recommendation": "x", "schema_path": "/nope.sql"}})
    assert bad.is_error and "schema /nope.sql: no such file" in bad.content[0].text


def test_stdio(tmp_path):
    async def main():
        env = dict(ENV, TMPDIR=str(tmp_path))
        params = StdioServerParameters(command=CLI[0], args=CLI[1:], env=env, cwd=str(ROOT))
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await exercise(session)
    anyio.run(main)
    _no_server_left(tmp_path)


def _no_server_left(tmpdir) -> None:
    """The MCP process's embedded PostgreSQL stopped with it and its directory is gone."""
    deadline = time.monotonic() + 10
    while list(tmpdir.glob("dbagent-pg-*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(tmpdir.glob("dbagent-pg-*")) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(*args: str, tmpdir=None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, **ENV, **({"TMPDIR": str(tmpdir)} if tmpdir else {})}
    proc = subprocess.Popen([*CLI, "--http", f"127.0.0.1:{port}", *args], cwd=ROOT, stderr=subprocess.PIPE,
                            text=True, env=env)
    url = f"http://127.0.0.1:{port}/mcp"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(proc.stderr.read())


def test_streamable_http(tmp_path):
    proc, url = _serve(tmpdir=tmp_path)
    try:
        async def main():
            async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
                await exercise(session)
        anyio.run(main)
    finally:
        proc.terminate()
        proc.wait(10)
    _no_server_left(tmp_path)  # SIGTERM (uvicorn re-raises it after its shutdown) stops PostgreSQL too


def test_http_with_a_token_refuses_requests_without_it():
    proc, url = _serve("--token", "s3cret-token")
    try:
        assert httpx2.post(url, json={}).status_code == 401

        async def main():
            client = httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret-token"})
            async with streamable_http_client(url, http_client=client) as (read, write), \
                    ClientSession(read, write) as session:
                await session.initialize()
                assert len((await session.list_tools()).tools) == 4
        anyio.run(main)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_remote_bind_is_refused_without_the_flag(host):
    proc = run_cli("mcp", "--http", f"{host}:8799")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"dbagent: error: refusing to listen on {host}: not a loopback address (pass --allow-remote, "
        "and a bearer token, to serve other machines)"]


@pytest.mark.parametrize("command", [
    ["implement", REC, "--schema", SCHEMA],
    ["dryrun", str(ROOT / "examples/quickstart/001_tasks_rls.sql"), "--schema", SCHEMA],
    ["check", str(ROOT / "tests/fixtures/reports/monitoring-baseline.md")],
])
def test_json_stdout_is_exactly_one_result_document(command, tmp_path):
    extra = ["--out", str(tmp_path / "run")] if command[0] == "implement" else []
    proc = run_cli(*command, *extra, "--json", env={"ANTHROPIC_API_KEY": ""})
    result = json.loads(proc.stdout)  # fails on any stray line before or after the document
    jsonschema.validate(result, SCHEMAS["result"])
    assert proc.returncode == (0 if result["status"] == "verified" else 1)
    if command[0] == "implement":
        assert json.loads((tmp_path / "run" / "result.json").read_text()) == result
