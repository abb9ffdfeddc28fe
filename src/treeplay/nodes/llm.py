"""Risk nodes from any OpenAI-compatible chat endpoint (a local vLLM or SGLang server, or a hosted API).

The paper asked GPT-4o to annotate the golden code (step 2); this module asks any chat model with treeplay's
own prompt (``SYSTEM`` and ``build_messages``): the golden lines come numbered, the lines of the task's prefix
are marked as context, and the answer is a JSON list of ``{"line", "cwe", "reason"}``. Replies are parsed
leniently (code fences, prose around the list, ``{"nodes": [...]}``, line numbers as strings); items naming a
line outside the code or inside the prefix are dropped and counted as ``unmatched``.

Failures are bounded: each request is tried at most ``1 + retries`` times (connection errors, time-outs, HTTP
429 and 5xx, and replies with no usable JSON list); an endpoint that stays unreachable or refuses the request
(other 4xx) raises ``ToolError``; a task whose replies never parse is counted as ``bad_reply`` and gets no
nodes. Only the standard library is used (``urllib``), so this needs no client package.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from treeplay.data.cwe import try_canonical_cwe
from treeplay.errors import ToolError
from treeplay.nodes.common import ADDED, NodeResult, NodeSet, split_lines
from treeplay.records import RiskNode, Task

METHOD = "llm"
MAX_LINES = 400  # longer golden code is cut (with a note) to keep the request within common context sizes

SYSTEM = (
    "You are an application security reviewer. You find the lines of a program where a developer writing it "
    "could introduce a security vulnerability (CWE risk nodes). You answer with JSON only."
)

INSTRUCTIONS = """\
The {language} code below is a secure solution of this task:

{prompt}

Its lines are numbered. Find the risk nodes: lines where writing the code slightly differently would introduce a
vulnerability - input validation, output escaping, query building, path handling, bounds and sizes, memory
management, authentication, cryptography, randomness, deserialization, command execution, resource limits.
Known weakness class of this task: {cwes}.
{context_note}
Answer with a JSON list of at most {max_nodes} objects, most important first, and nothing else:
[{{"line": <line number>, "cwe": "CWE-<number>", "reason": "<what could go wrong on this line, one sentence>"}}]

{numbered}
"""

PostFn = Callable[[str, dict[str, Any], dict[str, str], float], dict[str, Any]]


def build_messages(task: Task, *, max_nodes: int = 8) -> list[dict[str, str]]:
    """The chat messages asking for ``task``'s risk nodes (the golden code numbered from 1)."""
    assert task.golden is not None
    node_set = NodeSet(task, METHOD)
    lines = split_lines(task.golden)
    shown = lines[:MAX_LINES]
    numbered = "\n".join(f"{n:>4} | {line}" for n, line in enumerate(shown, start=1))
    if len(lines) > len(shown):
        numbered += f"\n     | ... ({len(lines) - len(shown)} more lines not shown)"
    note = ""
    if node_set.first > 1:
        note = f"Lines 1-{node_set.first - 1} are given context: choose only lines {node_set.first} and later.\n"
    text = INSTRUCTIONS.format(language=task.language, prompt=task.prompt.strip() or "(no description)",
                               cwes=", ".join(task.cwes) or "unknown", context_note=note, max_nodes=max_nodes,
                               numbered=numbered)
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]


def parse_reply(text: str) -> list[dict[str, Any]]:
    """The ``{"line": int, "cwe": str | None, "reason": str}`` items of a reply; ValueError when it has none.

    Items without a usable line number are skipped; a reply without any JSON list raises, so it is retried.
    """
    data = _find_json(text)
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list):
        raise ValueError("the reply holds no JSON list")
    items = []
    for item in data:
        if not isinstance(item, dict):
            continue
        line = next((item[k] for k in ("line", "line_number", "line_no") if k in item), None)
        if isinstance(line, str) and line.strip().isdigit():
            line = int(line.strip())
        if not isinstance(line, int) or isinstance(line, bool):
            continue
        cwe = item.get("cwe", item.get("cwe_id"))
        items.append({"line": line, "cwe": try_canonical_cwe(cwe) if isinstance(cwe, (str, int)) else None,
                      "reason": str(item.get("reason") or item.get("description") or "").strip()})
    return items


def _find_json(text: str) -> Any:
    """The first JSON list (or object) in ``text``, ignoring code fences and prose around it."""
    text = re.sub(r"```[a-zA-Z]*", "", text)
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        candidate = text[match.start():]
        for attempt in (candidate, re.sub(r",\s*([\]}])", r"\1", candidate)):  # tolerate trailing commas
            try:
                return decoder.raw_decode(attempt)[0]
            except json.JSONDecodeError:
                continue
    raise ValueError("the reply holds no JSON")


def llm_nodes(tasks: Sequence[Task], *, endpoint: str, model: str, api_key: str | None = None,
              max_nodes: int = 8, timeout: float = 120.0, retries: int = 2, backoff: float = 1.0,
              temperature: float = 0.0, post: PostFn | None = None) -> NodeResult:
    """Nodes for each task as the chat model at ``endpoint`` (an OpenAI-compatible base URL) names them.

    ``post`` sends one request (tests and other transports inject it); the default uses ``urllib``.
    ``counts``: ``asked`` (tasks), ``bad_reply`` (tasks without a parsable reply after the retries),
    ``out_of_range`` / ``before_prefix`` (items dropped, in ``unmatched``), ``duplicate``, ``capped``.
    """
    url = chat_url(endpoint)
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    send = post or _post
    nodes: list[RiskNode] = []
    counts: Counter[str] = Counter()
    for task in tasks:
        if task.golden is None:
            continue
        counts["asked"] += 1
        body = {"model": model, "messages": build_messages(task, max_nodes=max_nodes),
                "temperature": temperature, "max_tokens": 1024}
        items = _ask(send, url, body, headers, timeout, retries, backoff)
        if items is None:
            counts["bad_reply"] += 1
            continue
        node_set = NodeSet(task, METHOD, max_nodes=max_nodes)
        for item in items:
            outcome = node_set.add(item["line"], item["cwe"], item["reason"] or f"named by {model}")
            if outcome != ADDED:
                counts[outcome] += 1
        nodes.extend(node_set.nodes())
    unmatched = counts["out_of_range"] + counts["before_prefix"]
    return NodeResult(nodes=tuple(nodes), unmatched=unmatched, counts=dict(sorted(counts.items())))


def chat_url(endpoint: str) -> str:
    """``http://host:8000`` or ``.../v1`` -> ``.../v1/chat/completions``; a full URL stays as it is."""
    url = endpoint.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/chat/completions"


def _ask(send: PostFn, url: str, body: dict[str, Any], headers: dict[str, str], timeout: float, retries: int,
         backoff: float) -> list[dict[str, Any]] | None:
    """Parsed items of one task's reply, trying at most ``1 + retries`` times; None when no reply parsed."""
    last_error: Exception | None = None
    bad_reply = False
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            reply = send(url, body, headers, timeout)
        except _Transient as err:
            last_error = err
            continue
        try:
            return parse_reply(reply["choices"][0]["message"]["content"] or "")
        except (ValueError, KeyError, IndexError, TypeError) as err:
            last_error, bad_reply = err, True
    if bad_reply:
        return None
    raise ToolError(f"no answer from {url} after {retries + 1} tries: {last_error}", tool="llm endpoint",
                    fix="check that the server runs and that nodes.endpoint / nodes.llm_model are right")


class _Transient(Exception):
    """A failure worth retrying: connection refused or reset, time-out, HTTP 429 or 5xx."""


def _post(url: str, body: dict[str, Any], headers: dict[str, str], timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
    # A server on this machine is reached directly, even when an HTTP proxy is configured for the outside.
    local = urllib.parse.urlparse(url).hostname in ("localhost", "127.0.0.1", "::1")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if local else urllib.request.build_opener()
    try:
        with opener.open(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace")[:500]
        if err.code == 429 or err.code >= 500:
            raise _Transient(f"HTTP {err.code}: {detail}") from None
        raise ToolError(f"{url} refused the request: HTTP {err.code}", tool="llm endpoint", stderr=detail,
                        fix="check nodes.llm_model (the model name the server serves) and the API key") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
        raise _Transient(str(getattr(err, "reason", err))) from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return {"choices": []}  # not JSON: treated as a bad reply and retried
