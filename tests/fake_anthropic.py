"""A fake Messages API on 127.0.0.1 for the real anthropic SDK: scripted answers, recorded requests.

No network and no API key: tests point ANTHROPIC_BASE_URL (or the client's base_url) here.
Answers are given as whole messages; when the SDK asks for a stream, they are sent as the
Messages API's server-sent events.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def text_message(text: str, *, usage: dict | None = None, stop_reason: str = "end_turn") -> dict:
    return {"content": [{"type": "text", "text": text}], "stop_reason": stop_reason,
            "usage": usage or {"input_tokens": 1200, "output_tokens": 800,
                               "cache_creation_input_tokens": 0, "cache_read_input_tokens": 5000}}


def tool_message(*calls: tuple[str, dict]) -> dict:
    return {"content": [{"type": "tool_use", "id": f"toolu_{k}", "name": name, "input": args}
                        for k, (name, args) in enumerate(calls)],
            "stop_reason": "tool_use", "usage": {"input_tokens": 300, "output_tokens": 40,
                                                 "cache_creation_input_tokens": 6000, "cache_read_input_tokens": 0}}


def error(status: int, kind: str = "overloaded_error") -> dict:
    return {"error_status": status, "error_type": kind}


class FakeAnthropic:
    """Serve queued answers in order; every request is kept in `requests` (headers and JSON body)."""

    def __init__(self, answers: list[dict]) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with fake._lock:
                    fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    answer = fake.answers.pop(0) if fake.answers else error(500, "api_error")
                if "delay" in answer:  # a server that does not answer in time
                    time.sleep(answer["delay"])
                    return
                if "error_status" in answer:
                    payload = json.dumps({"type": "error", "error": {"type": answer["error_type"],
                                                                     "message": f"fake {answer['error_status']}"}})
                    self.send_response(answer["error_status"])
                    self.send_header("content-type", "application/json")
                    self.send_header("retry-after-ms", "5")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload.encode())
                    return
                message = {"id": f"msg_{len(fake.requests)}", "type": "message", "role": "assistant",
                           "model": body.get("model"), "stop_sequence": None, **answer}
                if body.get("stream"):
                    self._stream(message)
                else:
                    payload = json.dumps(message).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def _stream(self, message: dict) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.end_headers()

                def event(kind: str, data: dict) -> None:
                    self.wfile.write(f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode())

                usage = dict(message["usage"])
                start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
                event("message_start", {"message": start})
                for i, block in enumerate(message["content"]):
                    if block["type"] == "text":
                        event("content_block_start", {"index": i, "content_block": {"type": "text", "text": ""}})
                        text = block["text"]
                        for k in range(0, len(text), 4000):  # several deltas, as a long generation
                            event("content_block_delta", {"index": i, "delta": {"type": "text_delta",
                                                                                "text": text[k:k + 4000]}})
                    else:
                        event("content_block_start", {"index": i, "content_block": {**block, "input": {}}})
                        event("content_block_delta", {"index": i, "delta": {
                            "type": "input_json_delta", "partial_json": json.dumps(block["input"])}})
                    event("content_block_stop", {"index": i})
                event("message_delta", {"delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                                        "usage": {"output_tokens": usage["output_tokens"]}})
                event("message_stop", {})
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeAnthropic":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages(self) -> list[dict]:
        return [r["body"] for r in self.requests if r["path"].startswith("/v1/messages")]
