"""Write the committed cassettes: recordings of scripted two-turn conversations.

    python evals/make_cassettes.py

They exercise the loop offline (`dbagent eval --provider replay:evals/cassettes`): turn one
is the builtin provider's report with its tenant policy broken (`USING (tenant_id IS NOT
NULL)`), which lint and the sandbox's isolation probes reject; turn two is the report as the
builtin provider wrote it. They are scripted conversations, not claims about any model. A
real model's cassette is recorded with `dbagent implement ... --provider anthropic --record PATH`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from dbagent.lint import LintConfig
from dbagent.providers import get_provider
from dbagent.providers.base import Conversation

HERE = Path(__file__).resolve().parent
CASES = ("rls-plain", "rls-child-tables", "rls-named-schema", "adv-run-program")
BROKEN = re.compile(r"USING \(tenant_id = \(SELECT NULLIF\([^\n]*\)\)\n")


def builtin_report(case: Path) -> str:
    provider = get_provider("builtin", schema=(case / "schema.sql").read_text(), config=LintConfig())
    recommendation = (case / "recommendation.md").read_text()
    conversation = Conversation(system=[], messages=[{"role": "user", "content": [
        {"type": "text", "text": f"<recommendation>\n{recommendation}</recommendation>"}]}], tools=[])
    return provider.turn(conversation, lambda name, args: "", lambda *a: None).text


def response(text: str, tokens: tuple[int, int]) -> dict:
    return {"content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]}}


def main() -> None:
    for name in CASES:
        good = builtin_report(HERE / "cases" / name)
        broken, count = BROKEN.subn("USING (tenant_id IS NOT NULL)\n", good, count=1)
        assert count == 1, f"{name}: no tenant policy to break"
        cassette = {"model": "scripted-two-turns", "responses": [response(broken, (0, 0)), response(good, (0, 0))]}
        path = HERE / "cassettes" / f"{name}.json"
        path.write_text(json.dumps(cassette, indent=1) + "\n")
        print(path)


if __name__ == "__main__":
    main()
