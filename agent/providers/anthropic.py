"""Claude through the official `anthropic` SDK: streaming, tool rounds, prompt caching, retries.

The SDK retries 408, 409, 429, 5xx (529 included) and timeouts with exponential backoff,
honouring `retry-after`; when it gives up we raise ProviderError (exit code 3).
`ANTHROPIC_BASE_URL` is honoured by the SDK for gateways and proxies.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

from dbagent.errors import ProviderError, UserError
from dbagent.providers.base import Conversation, ToolRunner, TraceSink, Turn, usage_of
from dbagent.result import Usage

MAX_OUTPUT_TOKENS = 32_000   # a full report with several migrations fits
MAX_TOOL_ROUNDS = 8
MAX_RETRIES = 4


def default_model() -> str:
    """The newest Sonnet the installed SDK knows (its Model literal lists newest first)."""
    from anthropic.types import Model

    names = [a for arg in typing.get_args(Model) for a in (typing.get_args(arg) or (arg,)) if isinstance(a, str)]
    return next((n for n in names if "sonnet" in n), "claude-sonnet-4-5")


def _block(b: Any) -> dict[str, Any]:
    """A response content block as a request content block."""
    match b.type:
        case "text":
            return {"type": "text", "text": b.text}
        case "tool_use":
            return {"type": "tool_use", "id": b.id, "name": b.name, "input": b.input}
        case "thinking":
            return {"type": "thinking", "thinking": b.thinking, "signature": b.signature}
        case "redacted_thinking":
            return {"type": "redacted_thinking", "data": b.data}
    raise ProviderError(f"anthropic: unsupported content block type {b.type!r} in the response")


class AnthropicProvider:
    """Claude via the Messages API."""

    name = "anthropic"

    def __init__(self, model: str | None = None, client: Any = None, api_key: str | None = None,
                 record: Path | None = None, max_retries: int = MAX_RETRIES) -> None:
        self.model = model or default_model()
        if client is None:
            import anthropic

            try:
                client = anthropic.Anthropic(api_key=api_key, max_retries=max_retries, timeout=600.0)
            except anthropic.AnthropicError as exc:
                raise UserError(f"anthropic: {exc}") from None
        self.client = client
        self.record = record
        self._recorded: list[dict[str, Any]] = []

    def turn(self, conversation: Conversation, run_tool: ToolRunner, trace: TraceSink) -> Turn:
        import anthropic

        usage, calls = Usage(), 0
        for _ in range(MAX_TOOL_ROUNDS + 1):
            request: dict[str, Any] = {"model": self.model, "max_tokens": MAX_OUTPUT_TOKENS,
                                       "system": conversation.system, "messages": conversation.messages}
            if conversation.tools:
                request["tools"] = conversation.tools
            trace("request", {"provider": self.name, **request})
            try:
                with self.client.messages.stream(**request) as stream:
                    message = stream.get_final_message()
            except anthropic.APIStatusError as exc:
                raise ProviderError(f"anthropic: HTTP {exc.status_code} after retries: "
                                    f"{_error_message(exc)}") from None
            except (anthropic.APIConnectionError, anthropic.APITimeoutError) as exc:
                raise ProviderError(f"anthropic: {exc.__class__.__name__} after retries: {exc}") from None
            u = message.usage
            step = usage_of(self.model, u.input_tokens, u.output_tokens,
                            u.cache_creation_input_tokens or 0, u.cache_read_input_tokens or 0)
            usage = usage + step
            content = [_block(b) for b in message.content]
            trace("response", {"stop_reason": message.stop_reason, "usage": step.model_dump(), "content": content})
            self._recorded.append({"content": content, "stop_reason": message.stop_reason,
                                   "usage": step.model_dump()})
            conversation.messages.append({"role": "assistant", "content": content})
            if message.stop_reason != "tool_use":
                self._save()
                text = "".join(b["text"] for b in content if b["type"] == "text")
                return Turn(text=text, usage=usage, stop_reason=message.stop_reason or "", tool_calls=calls,
                            content=content)
            results = []
            for b in content:
                if b["type"] == "tool_use":
                    calls += 1
                    output = run_tool(b["name"], b["input"])
                    results.append({"type": "tool_result", "tool_use_id": b["id"], "content": output})
            conversation.messages.append({"role": "user", "content": results})
        self._save()
        raise ProviderError(f"anthropic: still calling tools after {MAX_TOOL_ROUNDS} rounds")

    def _save(self) -> None:
        if self.record:
            self.record.write_text(json.dumps({"model": self.model, "responses": self._recorded}, indent=1) + "\n")


def _error_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        return str(body.get("error", {}).get("message") or body)[:200]
    return str(exc)[:200]
