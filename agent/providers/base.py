"""What every provider speaks: a conversation in, the model's turn out.

The conversation uses the Messages API's shapes (system blocks, user/assistant messages
with text, tool_use and tool_result blocks), which every provider accepts; a provider that
is not Anthropic's simply ignores cache hints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from dbagent.result import Usage

# USD per million tokens: input, output, cache write (5 min), cache read.
PRICES: dict[str, tuple[float, float, float, float]] = {
    "opus": (5.0, 25.0, 6.25, 0.50),
    "sonnet": (3.0, 15.0, 3.75, 0.30),
    "haiku": (1.0, 5.0, 1.25, 0.10),
}


def price_of(model: str) -> tuple[float, float, float, float] | None:
    """The price row for a model id (by family), or None when unknown."""
    return next((row for family, row in PRICES.items() if family in model), None)


def usage_of(model: str, input_tokens: int, output_tokens: int, cache_write: int, cache_read: int) -> Usage:
    """Tokens of one request and what they cost (0 when the model's price is unknown)."""
    row = price_of(model)
    cost = 0.0
    if row:
        cost = (input_tokens * row[0] + output_tokens * row[1] + cache_write * row[2] + cache_read * row[3]) / 1e6
    return Usage(input_tokens=input_tokens, output_tokens=output_tokens, cache_write_tokens=cache_write,
                 cache_read_tokens=cache_read, cost_usd=round(cost, 6), requests=1)


@dataclass
class Conversation:
    """System blocks, tools and messages, in the Messages API's shapes."""

    system: list[dict[str, Any]]
    messages: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Turn:
    """The model's final answer for one user turn (after any tool rounds)."""

    text: str
    usage: Usage
    stop_reason: str = "end_turn"
    tool_calls: int = 0
    content: list[dict[str, Any]] = field(default_factory=list)  # the last assistant message's blocks
    refusal: str | None = None  # the provider will not implement this, and says why


ToolRunner = Callable[[str, dict[str, Any]], str]
"""Runs one tool call by name with its input and returns the text result."""

TraceSink = Callable[[str, dict[str, Any]], None]
"""Receives trace events (kind, data): requests, responses, tool calls."""


class Provider(Protocol):
    """One small interface: answer the conversation's last user message."""

    name: str
    model: str

    def turn(self, conversation: Conversation, run_tool: ToolRunner, trace: TraceSink) -> Turn:
        """Return the model's answer; tool calls go through `run_tool` and are appended to the
        conversation, as is the final assistant message."""
