"""Branches from an OpenAI-compatible ``/v1/completions`` server (vLLM, SGLang, llama.cpp's server, ...).

For scale (DESIGN section 5) generation goes to a server; its prefix cache does the KV sharing. Each fork is one
request: ``prompt`` = the context text up to the fork (prompt text + golden prefix), ``n`` = K, the sampling
settings, and a ``seed`` derived for that fork (servers that honour it make trees reproducible). The returned
texts are cut by the same stop rules as the hf backend (client side, so a server needs no stop-string support);
``finish_reason`` is ``stop`` when a rule cut the text, ``length`` when the server hit ``max_tokens`` and ``eos``
otherwise. The plain completions API does not return token ids, so a branch's ``token_ids`` are its text tokenized
with the model's tokenizer in the context of the prefix (the text is authoritative).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from treeplay.engine.backends import BranchRequest, Fork, Sampled, check_forks
from treeplay.engine.prompts import encode
from treeplay.errors import ModelError


class OpenAIBackend:
    """One ``/v1/completions`` request per fork, ``n`` = K."""

    name = "openai"

    def __init__(self, endpoint: str, model: str, tokenizer: Any, *, timeout: float = 600.0, retries: int = 2,
                 api_key: str | None = None) -> None:
        base = endpoint.rstrip("/")
        self.url = base if base.endswith("/completions") else (
            f"{base}/completions" if base.endswith("/v1") else f"{base}/v1/completions")
        self.model = model
        self.tokenizer = tokenizer
        self.timeout = timeout
        self.retries = retries
        self.api_key = api_key

    def branch(self, request: BranchRequest) -> list[list[Sampled]]:
        check_forks(request)
        return [self._fork(request, fork) for fork in request.forks]

    def _fork(self, request: BranchRequest, fork: Fork) -> list[Sampled]:
        sp = request.sampling
        prompt = request.text[:fork.text_len]
        body = {"model": self.model, "prompt": prompt, "n": sp.width, "max_tokens": sp.max_new_tokens,
                "temperature": sp.temperature, "top_p": sp.top_p, "seed": fork.seed % (2**31)}
        if sp.ignore_eos:
            body["ignore_eos"] = True  # vLLM / SGLang extension
        choices = sorted(self._post(body).get("choices", []), key=lambda c: c.get("index", 0))
        if len(choices) != sp.width:
            raise ModelError(f"server at {self.url} returned {len(choices)} choices, expected n={sp.width}",
                             fix="use a server that supports n > 1 on /v1/completions (vLLM, SGLang)")
        context_ids = list(request.ids[:fork.ids_len])
        return [self._sampled(c, fork, context_ids, prompt) for c in choices]

    def _sampled(self, choice: dict[str, Any], fork: Fork, context_ids: list[int], prompt: str) -> Sampled:
        text = choice.get("text") or ""
        cut = fork.make_stop().feed(text)
        generated = len(self._tokens(prompt, text, context_ids))
        if cut is not None:
            text, reason = text[:cut], "stop"
        else:
            reason = "length" if choice.get("finish_reason") == "length" else "eos"
        return Sampled(token_ids=tuple(self._tokens(prompt, text, context_ids)), text=text, finish_reason=reason,
                       generated=generated)

    def _tokens(self, prompt: str, text: str, context_ids: list[int]) -> list[int]:
        """Token ids of ``text`` as it continues ``prompt``: tokenized in context when the boundary is clean."""
        if not text:
            return []
        joint = encode(self.tokenizer, prompt + text)
        if joint[:len(context_ids)] == context_ids:
            return joint[len(context_ids):]
        return encode(self.tokenizer, text)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return json.loads(resp.read().decode("utf-8"))
            except urllib.error.HTTPError as err:
                detail = err.read().decode("utf-8", errors="replace")[:300]
                if err.code < 500:  # the request itself is wrong: retrying will not help
                    raise ModelError(f"server at {self.url} rejected the request (HTTP {err.code}): {detail}",
                                     fix="check grow.endpoint and that the server serves this model name") from None
                last = err
            except (urllib.error.URLError, TimeoutError, ConnectionError, json.JSONDecodeError) as err:
                last = err
            time.sleep(min(2.0, 0.2 * 2 ** attempt))
        raise ModelError(f"no answer from {self.url}: {last}",
                         fix="start the server (e.g. `vllm serve MODEL`) and check grow.endpoint")
