"""Model providers behind one small interface, chosen in one place.

    anthropic[:MODEL]   Claude via the official SDK (needs ANTHROPIC_API_KEY)
    replay:PATH         a recorded conversation
    scripted            the test double (Python API only)
    builtin             the offline implementer (deterministic playbooks; RLS so far)
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from dbagent.errors import UserError
from dbagent.providers.base import PRICES, Conversation, Provider, Turn, price_of, usage_of

__all__ = ["Conversation", "PRICES", "Provider", "Turn", "default_provider_name", "get_provider", "price_of",
           "usage_of"]

KNOWN = ("anthropic", "replay", "builtin")


def default_provider_name() -> str:
    """anthropic when an API key is set, else builtin."""
    return "anthropic" if os.environ.get("ANTHROPIC_API_KEY") else "builtin"


def get_provider(spec: str, model: str | None = None, record: Path | None = None, schema: str = "",
                 config=None, sizes: dict | None = None) -> Provider:
    """The provider a name like `anthropic:claude-sonnet-5-5` or `replay:run.json` stands for.
    `schema` (DDL text), `config` and the source's table `sizes` are what the builtin provider
    plans from."""
    name, _, arg = spec.partition(":")
    if name == "anthropic":
        from dbagent.providers.anthropic import AnthropicProvider

        if not os.environ.get("ANTHROPIC_API_KEY"):
            raise UserError("provider anthropic needs ANTHROPIC_API_KEY in the environment")
        return AnthropicProvider(model=model or arg or None, record=record)
    if name == "replay":
        from dbagent.providers.replay import ReplayProvider

        if not arg:
            raise UserError("provider replay needs a cassette: --provider replay:PATH")
        return ReplayProvider(arg)
    if name == "builtin":
        from dbagent.providers.builtin import BuiltinProvider

        return BuiltinProvider(schema, config, sizes)
    close = difflib.get_close_matches(name, KNOWN, n=1)
    raise UserError(f"unknown provider {name!r}" + (f" (did you mean {close[0]}?)" if close else "")
                    + f"; known: {', '.join(KNOWN)}")
