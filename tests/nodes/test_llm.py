"""LLM nodes through an OpenAI-compatible endpoint: a stub server on 127.0.0.1 that the test starts and stops."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from treeplay.errors import ToolError
from treeplay.nodes.llm import build_messages, chat_url, llm_nodes, parse_reply

from .fixtures import program_task, python_task


def chat_reply(content: str) -> tuple[int, str]:
    return 200, json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


class StubServer:
    """Answers POSTs with scripted (status, body) replies in order (the last one repeats); records requests.

    Bounded: a watchdog shuts it down after ``lifetime`` seconds even if a test forgets to.
    """

    def __init__(self, replies: list[tuple[int, str]], lifetime: float = 30.0) -> None:
        self.replies = list(replies)
        self.requests: list[tuple[str, dict, dict]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append((self.path, body, dict(self.headers)))
                status, text = stub.replies.pop(0) if len(stub.replies) > 1 else stub.replies[0]
                data = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.watchdog = threading.Timer(lifetime, self.server.shutdown)
        self.watchdog.daemon = True

    def __enter__(self) -> StubServer:
        self.thread.start()
        self.watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.watchdog.cancel()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def ask(url: str, tasks, **options):
    return llm_nodes(tasks, endpoint=url, model="stub-model", timeout=5, backoff=0.0, **options)


def test_llm_nodes_from_local_stub_server():
    reply = ('Here are the nodes:\n```json\n[{"line": 3, "cwe": "cwe-020", "reason": "size check"},\n'
             ' {"line": "5", "cwe": "CWE-79", "reason": "escaping"}]\n```')
    with StubServer([chat_reply(reply)]) as stub:
        result = ask(stub.url, [python_task()], api_key="k")
    assert [(n.line, n.cwe, n.reason, n.method) for n in result.nodes] == [
        (3, "CWE-20", "size check", "llm"), (5, "CWE-79", "escaping", "llm")]
    ((path, body, headers),) = stub.requests
    assert path == "/v1/chat/completions" and body["model"] == "stub-model" and body["temperature"] == 0.0
    assert headers["Authorization"] == "Bearer k"
    assert "   5 |     html = \"<p>\" + escape(text) + \"</p>\"" in body["messages"][1]["content"]


def test_llm_retries_server_errors_and_bad_replies_then_succeeds():
    replies = [(500, "overloaded"), chat_reply("I cannot answer that."), chat_reply('[{"line": 6}]')]
    with StubServer(replies) as stub:
        result = ask(stub.url, [python_task()], retries=2)
    assert [n.line for n in result.nodes] == [6] and len(stub.requests) == 3


def test_llm_gives_up_on_a_failing_server_after_bounded_retries():
    with StubServer([(503, "down")]) as stub, pytest.raises(ToolError, match="after 3 tries"):
        ask(stub.url, [python_task()], retries=2)
    assert len(stub.requests) == 3


def test_llm_client_error_is_not_retried():
    with StubServer([(404, '{"error": "model not found"}')]) as stub, pytest.raises(ToolError, match="HTTP 404"):
        ask(stub.url, [python_task()], retries=2)
    assert len(stub.requests) == 1


def test_llm_unreachable_endpoint_raises_after_retries():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: connection refused
    with pytest.raises(ToolError, match="no answer"):
        ask(f"http://127.0.0.1:{port}", [python_task()], retries=1)


def test_llm_unparsable_replies_count_as_bad_reply():
    with StubServer([chat_reply("Line three looks risky.")]) as stub:
        result = ask(stub.url, [python_task(), python_task(task_id="t2")], retries=1)
    assert result.nodes == () and result.counts["bad_reply"] == 2 and len(stub.requests) == 4


def test_llm_lines_outside_code_or_in_prefix_are_unmatched():
    reply = '{"nodes": [{"line": 2, "cwe": "CWE-22"}, {"line": 6, "cwe": "CWE-22"}, {"line": 99}]}'
    with StubServer([chat_reply(reply)]) as stub:
        result = ask(stub.url, [program_task()])
    assert [n.line for n in result.nodes] == [6] and result.unmatched == 2
    assert result.counts["before_prefix"] == 1 and result.counts["out_of_range"] == 1


def test_parse_reply_tolerates_fences_prose_and_trailing_commas():
    text = 'Sure!\n```json\n[{"line_number": 4, "cwe_id": 89, "description": "query",},]\n```\nDone.'
    assert parse_reply(text) == [{"line": 4, "cwe": "CWE-89", "reason": "query"}]
    assert parse_reply('[{"line": "x"}, 3, {"line": true}, {"line": 2, "cwe": "none"}]') == [
        {"line": 2, "cwe": None, "reason": ""}]
    with pytest.raises(ValueError):
        parse_reply("no json here")


def test_prompt_numbers_golden_lines_and_marks_prefix():
    system, user = build_messages(program_task(), max_nodes=3)
    assert system["role"] == "system" and "JSON" in system["content"]
    assert "Lines 1-4 are given context: choose only lines 5 and later." in user["content"]
    assert "   5 |     path = os.path.realpath" in user["content"] and "at most 3 objects" in user["content"]
    assert "CWE-22" in user["content"] and "Read a document." in user["content"]


@pytest.mark.parametrize("endpoint, url", [
    ("http://h:8000", "http://h:8000/v1/chat/completions"),
    ("http://h:8000/v1/", "http://h:8000/v1/chat/completions"),
    ("https://api.example.com/v1/chat/completions", "https://api.example.com/v1/chat/completions"),
])
def test_chat_url_accepts_base_or_full_urls(endpoint, url):
    assert chat_url(endpoint) == url
