"""The model input for a Task: prompt part and golden part, as token ids that concatenate to what the model sees.

Formats (``ModelConfig.prompt_format``):

- ``chat`` (``auto`` picks it when the tokenizer has a chat template): one user message = the task's instruction,
  plus the code prefix in a fenced code block when the task has one; then the template's generation prompt and an
  opening code fence (```` ```python ````), because chat-tuned code models answer inside a fenced block and
  continue code far better from there. The assistant turn then *is* the golden path (which starts with the prefix).
- ``inst``: the raw completion format the paper used for CodeLlama: ``[INST] {instruction} [/INST]`` and a newline,
  then the golden path (BOS first when the tokenizer normally adds one).
- ``raw``: the instruction as a comment in the task's language, then the golden path (base models).

Every format's prompt text ends with a newline and the golden path starts a new line, so the prompt/golden
boundary is a line boundary. Tokenization drift at that boundary is avoided like this: the whole text
(prompt + golden) is tokenized once; when its first tokens are exactly the prompt's own tokens (the usual case:
byte-level BPE never merges across ``"\\n"`` followed by code, and chat templates end in a special token plus a
newline) the golden ids are the rest, i.e. the tokenization of the whole text, which is what the model saw in
training. When a merge crosses the boundary (a golden path that starts with whitespace) the golden part is
tokenized on its own instead. Either way ``prompt_ids + golden_ids`` is, by construction, exactly the sequence the
trees, the training step and the evaluation feed to the model: the Tree records both parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from treeplay.records import Task

FORMATS = ("auto", "chat", "inst", "raw")
FENCE_LANG = {"python": "python", "c": "c", "cpp": "cpp", "javascript": "javascript", "go": "go", "java": "java",
              "ruby": "ruby"}
COMMENT = {"python": "#", "ruby": "#"}  # other languages use //


@dataclass(frozen=True)
class PromptParts:
    """Model input for one task.

    ``golden_text`` is the golden path as decoded from ``golden_ids`` (equal to ``Task.golden`` for tokenizers that
    round-trip, which byte-level BPE always does); ``golden_starts[i]`` is where golden token i starts in it.
    """

    format: str
    prompt_text: str
    prompt_ids: tuple[int, ...]
    golden_ids: tuple[int, ...]
    golden_text: str
    golden_starts: tuple[int, ...]


def resolve_format(tokenizer: Any, prompt_format: str = "auto") -> str:
    """``auto`` -> ``chat`` when the tokenizer has a chat template, else ``inst``."""
    if prompt_format not in FORMATS:
        raise ValueError(f"unknown prompt format {prompt_format!r} (one of {', '.join(FORMATS)})")
    if prompt_format != "auto":
        return prompt_format
    return "chat" if getattr(tokenizer, "chat_template", None) else "inst"


def user_message(task: Task) -> str:
    """The instruction, with the code prefix shown in a fenced block when the task has one."""
    if not task.prefix:
        return task.prompt
    lang = FENCE_LANG.get(task.language, "")
    prefix = task.prefix if task.prefix.endswith("\n") else task.prefix + "\n"
    return f"{task.prompt}\n\n```{lang}\n{prefix}```"


def prompt_text(task: Task, tokenizer: Any, prompt_format: str = "auto") -> tuple[str, str]:
    """(format, text of the prompt part) for ``task``; the text ends with a newline."""
    fmt = resolve_format(tokenizer, prompt_format)
    if fmt == "chat":
        if not getattr(tokenizer, "chat_template", None):
            raise ValueError("prompt format 'chat' needs a tokenizer with a chat template (use inst or raw)")
        messages = [{"role": "user", "content": user_message(task)}]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if not text.endswith("\n"):
            text += "\n"
        return fmt, text + f"```{FENCE_LANG.get(task.language, '')}\n"
    if fmt == "inst":
        return fmt, _bos(tokenizer) + f"[INST] {task.prompt.strip()} [/INST]\n"
    mark = COMMENT.get(task.language, "//")
    lines = "\n".join(f"{mark} {line}".rstrip() for line in task.prompt.strip().splitlines())
    return fmt, _bos(tokenizer) + lines + "\n"


def _bos(tokenizer: Any) -> str:
    """The BOS token text when this tokenizer adds one by itself (Llama-style), else ''."""
    bos_id = getattr(tokenizer, "bos_token_id", None)
    if bos_id is None:
        return ""
    ids = tokenizer("a", add_special_tokens=True)["input_ids"]
    return tokenizer.bos_token if ids[:1] == [bos_id] else ""


def encode(tokenizer: Any, text: str) -> list[int]:
    """Token ids of ``text`` with no special tokens added (special-token text inside it is parsed as such)."""
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def build_prompt(task: Task, tokenizer: Any, prompt_format: str = "auto", golden: str | None = None) -> PromptParts:
    """Prompt and golden token ids for ``task`` (``golden`` defaults to ``task.golden``, else the prefix)."""
    from treeplay.engine.tokens import token_char_starts

    fmt, text = prompt_text(task, tokenizer, prompt_format)
    golden = golden if golden is not None else (task.golden if task.golden is not None else task.prefix)
    prompt_ids = encode(tokenizer, text)
    joint = encode(tokenizer, text + golden)
    if joint[:len(prompt_ids)] == prompt_ids:
        golden_ids = joint[len(prompt_ids):]
    else:  # a token would straddle the boundary: keep the boundary, tokenize the golden path alone
        golden_ids = encode(tokenizer, golden)
    starts, decoded = token_char_starts(tokenizer, golden_ids, prompt_ids)
    return PromptParts(format=fmt, prompt_text=text, prompt_ids=tuple(prompt_ids), golden_ids=tuple(golden_ids),
                       golden_text=decoded, golden_starts=tuple(starts))
