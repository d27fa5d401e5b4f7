"""No traceback reaches a user: any mix of flags, file contents and environment gives a result
or one clear error (exit 2), and any MCP tool arguments give a result or a validation error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from dbagent.cli import app
from dbagent.errors import DbagentError
from dbagent.lint import LintReport
from dbagent.mcp.server import LintInput, run_lint

runner = CliRunner()
FLAGS = ["--format", "json", "sarif", "text", "xml", "--fail-on", "warning", "error", "never", "--schema",
         "--config", "--json", "-v", "x=1", "=", "--help", "--no-such-flag", "", "-", "--variable"]
CONTENT = st.one_of(st.text(max_size=300), st.sampled_from([
    "DELETE FROM t;", "COPY t TO PROGRAM 'id';", "\\! id", "[tool.dbagent.lint]\ndisable = [1]\n",
    "# x\n## 1. Implementation Classification\n**HIGH**", "\x00binary", "SELECT 'unterminated"]))
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def _files(tmp_path, contents: list[str]) -> list[str]:
    paths = []
    for k, text in enumerate(contents):
        path = tmp_path / f"f{k}.sql"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass") if "\x00" not in text else b"\x00\x01")
        paths.append(str(path))
    return paths


@SLOW
@given(command=st.sampled_from(["lint", "rules", "check"]), flags=st.lists(st.sampled_from(FLAGS), max_size=6),
       contents=st.lists(CONTENT, min_size=1, max_size=3), env=st.dictionaries(
           st.sampled_from(["DBAGENT_SANDBOX_DSN", "ANTHROPIC_API_KEY", "NO_COLOR"]), st.text(max_size=20), max_size=2))
def test_any_flags_files_and_environment(tmp_path, command, flags, contents, env):
    files = _files(tmp_path, contents)
    args = [command, *(files if command != "rules" else []), *flags]
    if "--schema" in flags or "--config" in flags:
        args += [files[0]]
    env = {k: v.replace("\x00", "") for k, v in env.items()}
    result = runner.invoke(app, args, env={"DBAGENT_SANDBOX_DSN": "", **env})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1, 2), result.output


@SLOW
@given(st.dictionaries(st.sampled_from(["sql", "file_name", "rollback_sql", "schema_sql", "extra"]),
                       st.one_of(st.text(max_size=200), st.integers(), st.none()), max_size=5))
def test_any_mcp_lint_arguments(args):
    try:
        parsed = LintInput.model_validate(args)
    except ValidationError:
        return  # the MCP SDK answers with the validation error, as a tool error
    try:
        assert isinstance(run_lint(parsed), LintReport)
    except DbagentError:
        pass  # a one-line tool error
