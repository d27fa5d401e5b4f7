"""Replays a recorded conversation (`--record PATH` writes one): the same responses, in order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from dbagent.errors import ProviderError, UserError
from dbagent.inputs import read_text_file
from dbagent.providers.base import Conversation, ToolRunner, TraceSink, Turn
from dbagent.result import Usage


class Recorded(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: list[dict[str, Any]]
    stop_reason: str
    usage: Usage


class Cassette(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str
    responses: list[Recorded]


class ReplayProvider:
    """Answers from a cassette; tool calls in it are run again against this run's sandbox."""

    name = "replay"

    def __init__(self, path: str | Path) -> None:
        try:
            self.cassette = Cassette.model_validate(json.loads(read_text_file(path, "cassette")))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise UserError(f"cassette {path}: not a recorded conversation ({str(exc).splitlines()[0]})") from None
        self.model = self.cassette.model
        self._next = 0

    def _pop(self) -> Recorded:
        if self._next >= len(self.cassette.responses):
            raise ProviderError(f"replay: the cassette has no response left (it holds {len(self.cassette.responses)})")
        self._next += 1
        return self.cassette.responses[self._next - 1]

    def turn(self, conversation: Conversation, run_tool: ToolRunner, trace: TraceSink) -> Turn:
        usage, calls = Usage(), 0
        while True:
            r = self._pop()
            trace("response", {"provider": "replay", "stop_reason": r.stop_reason, "content": r.content})
            usage = usage + r.usage
            conversation.messages.append({"role": "assistant", "content": r.content})
            if r.stop_reason != "tool_use":
                text = "".join(b.get("text", "") for b in r.content if b.get("type") == "text")
                return Turn(text=text, usage=usage, stop_reason=r.stop_reason, tool_calls=calls, content=r.content)
            results = []
            for b in r.content:
                if b.get("type") == "tool_use":
                    calls += 1
                    results.append({"type": "tool_result", "tool_use_id": b["id"],
                                    "content": run_tool(b["name"], b.get("input", {}))})
            conversation.messages.append({"role": "user", "content": results})
