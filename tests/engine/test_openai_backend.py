"""The OpenAI-compatible backend against a small local stub server (127.0.0.1, bounded, stops itself)."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.engine.helpers import PY_TASK, nodes_at
from treeplay.engine.backends import SamplingParams
from treeplay.engine.openai_backend import OpenAIBackend
from treeplay.engine.rollout import GrowParams, grow_tree
from treeplay.errors import ModelError

CHOICES = [  # (text the server returns, its finish_reason)
    (" x = 1\n        return x\n\ndef other():\n    pass\n", "stop"),  # the function-end rule cuts it
    (" y = 2\n        y += 1\n", "length"),
    (" z = 3\n", "stop"),  # the server stopped at EOS
]


class StubServer:
    """A threaded HTTP server answering POST /v1/completions with ``reply(body) -> (status, json)``.

    It answers at most ``limit`` requests (then 503) and shuts itself down after ``lifetime`` seconds.
    """

    def __init__(self, reply, limit: int = 20, lifetime: float = 60.0) -> None:
        self.requests: list[tuple[str, dict]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append((self.path, body))
                status, payload = (503, {"error": "too many requests"}) if len(stub.requests) > limit else \
                    reply(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.timer = threading.Timer(lifetime, self.close)
        self.timer.daemon = True
        self.timer.start()

    def close(self) -> None:
        self.timer.cancel()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    def reply(body):
        choices = [{"index": i, "text": CHOICES[i % 3][0], "finish_reason": CHOICES[i % 3][1]}
                   for i in range(body["n"])]
        return 200, {"id": "cmpl-1", "object": "text_completion", "choices": list(reversed(choices))}

    server = StubServer(reply)
    yield server
    server.close()


def test_one_request_per_node_with_n_branches_and_client_side_stops(stub, tiny_tokenizer):
    params = GrowParams(sampling=SamplingParams(width=3, temperature=0.7, top_p=0.9, max_new_tokens=64), seed=3)
    backend = OpenAIBackend(stub.url, "served-model", tiny_tokenizer)
    tree = grow_tree(PY_TASK, nodes_at(PY_TASK, [6, 8]), backend, tiny_tokenizer, params)
    assert len(stub.requests) == 2
    for i, (path, body) in enumerate(stub.requests):
        assert path == "/v1/completions"
        assert body["prompt"] == tree.prompt_text + PY_TASK.golden[:tree.node_prefix_chars[i]]
        assert (body["n"], body["max_tokens"], body["temperature"], body["top_p"], body["model"]) == \
            (3, 64, 0.7, 0.9, "served-model")
    assert stub.requests[0][1]["seed"] != stub.requests[1][1]["seed"]
    first = [b for b in tree.branches if b.node_index == 0]
    assert [b.finish_reason for b in first] == ["stop", "length", "eos"]  # choices re-ordered by index
    assert first[0].text == " x = 1\n        return x\n\n"
    assert first[2].text == CHOICES[2][0]
    for b in tree.branches:
        assert tiny_tokenizer.decode(list(b.token_ids)) == b.text


def test_same_seed_same_requests(stub, tiny_tokenizer):
    params = GrowParams(sampling=SamplingParams(width=2, max_new_tokens=8), seed=5)
    backend = OpenAIBackend(stub.url + "/", "m", tiny_tokenizer)  # a trailing slash is fine too
    a = grow_tree(PY_TASK, nodes_at(PY_TASK, [6]), backend, tiny_tokenizer, params)
    b = grow_tree(PY_TASK, nodes_at(PY_TASK, [6]), backend, tiny_tokenizer, params)
    assert a == b and stub.requests[0][1] == stub.requests[1][1]


def test_server_errors_are_model_errors(tiny_tokenizer):
    server = StubServer(lambda body: (400, {"error": "unknown model"}))
    try:
        backend = OpenAIBackend(server.url, "nope", tiny_tokenizer, retries=0)
        with pytest.raises(ModelError, match="HTTP 400"):
            grow_tree(PY_TASK, nodes_at(PY_TASK, [6]), backend, tiny_tokenizer, GrowParams())
    finally:
        server.close()
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = OpenAIBackend(f"http://127.0.0.1:{port}/v1", "m", tiny_tokenizer, retries=0, timeout=5)
    with pytest.raises(ModelError, match="no answer"):
        grow_tree(PY_TASK, nodes_at(PY_TASK, [6]), backend, tiny_tokenizer, GrowParams())
