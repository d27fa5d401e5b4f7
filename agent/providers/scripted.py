"""The scripted test double: queue its answers, it records every conversation it was sent.

Shipped code, not a test hack: it lets anyone drive the agent loop through its public entry
point without a model.
"""

from __future__ import annotations

import copy
from typing import Any

from dbagent.errors import ProviderError
from dbagent.providers.base import Conversation, ToolRunner, TraceSink, Turn
from dbagent.result import Usage


class ScriptedProvider:
    """Answers with queued texts; a queued list of (tool name, input) pairs is a tool round."""

    name = "scripted"

    def __init__(self, answers: list[str | list[tuple[str, dict[str, Any]]]], model: str = "scripted") -> None:
        self.model = model
        self.answers = list(answers)
        self.requests: list[Conversation] = []

    def turn(self, conversation: Conversation, run_tool: ToolRunner, trace: TraceSink) -> Turn:
        calls = 0
        while True:
            self.requests.append(copy.deepcopy(conversation))
            if not self.answers:
                raise ProviderError("scripted: no answer left")
            answer = self.answers.pop(0)
            if isinstance(answer, str):
                content = [{"type": "text", "text": answer}]
                conversation.messages.append({"role": "assistant", "content": content})
                return Turn(text=answer, usage=Usage(requests=1), tool_calls=calls, content=content)
            uses = [{"type": "tool_use", "id": f"call_{calls + k}", "name": n, "input": i}
                    for k, (n, i) in enumerate(answer)]
            conversation.messages.append({"role": "assistant", "content": uses})
            results = []
            for use in uses:
                calls += 1
                results.append({"type": "tool_result", "tool_use_id": use["id"],
                                "content": run_tool(use["name"], use["input"])})
            conversation.messages.append({"role": "user", "content": results})
