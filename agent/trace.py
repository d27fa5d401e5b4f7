"""trace.jsonl: every request, response, tool call and check outcome, with timings; secrets never written."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from psycopg.conninfo import conninfo_to_dict


class Trace:
    """Collects events in memory; written to the run directory at the end."""

    def __init__(self, secrets: list[str | None] = ()) -> None:
        self.started = time.monotonic()
        self.events: list[str] = []
        self.secrets = [s for s in [os.environ.get("ANTHROPIC_API_KEY"), *secrets] if s and len(s) >= 4]

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        event = {"t_ms": round((time.monotonic() - self.started) * 1000, 1), "event": kind, **data}
        line = json.dumps(event, default=str, ensure_ascii=False)
        for secret in self.secrets:
            line = line.replace(secret, "***")
        self.events.append(line)

    def text(self) -> str:
        return "\n".join(self.events) + ("\n" if self.events else "")


def dsn_password(dsn: str | None) -> str | None:
    """The password inside a DSN, so the trace can redact it."""
    if not dsn:
        return None
    try:
        return conninfo_to_dict(dsn).get("password")
    except Exception:  # an unparsable DSN fails elsewhere with its own message
        return None
