"""Frozen records that cross stage boundaries, and their JSONL form.

Every stage reads and writes these (DESIGN section 2): ``tasks.jsonl`` holds ``Task``, ``nodes.jsonl`` holds
``RiskNode``, ``trees.jsonl`` holds ``Tree``, ``verdicts.jsonl`` holds ``Verdict``, ``pairs.jsonl`` holds
``PreferencePair``. Each JSONL line is one record as a JSON object with a ``schema_version`` key. Reading checks
every line: unknown keys, missing keys and wrong types raise ``DataError`` naming the file and the line, so a bad
record never travels silently into a later stage. Writing is crash-safe (``write_jsonl`` writes to a temporary
file and renames it; ``append_jsonl`` flushes and fsyncs each record).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, Union

from treeplay.errors import DataError

SCHEMA_VERSION = 1

LANGUAGES = ("python", "c", "cpp", "javascript", "go", "java", "ruby")
# Each language's usual file extension (no dot), and the language of every extension treeplay reads.
EXTENSION_OF_LANGUAGE = {"python": "py", "c": "c", "cpp": "cpp", "javascript": "js", "go": "go", "java": "java",
                         "ruby": "rb"}
LANGUAGE_OF_EXTENSION = {**{ext: lang for lang, ext in EXTENSION_OF_LANGUAGE.items()},
                         "h": "c", "cc": "cpp", "cxx": "cpp", "hh": "cpp", "hpp": "cpp",
                         "jsx": "javascript", "mjs": "javascript", "cjs": "javascript"}


_PATH_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")


def check_relative_path(name: str) -> str:
    """``name`` itself when it is a safe relative path for a file in a work folder, else ValueError.

    Safe: relative, parts of letters, digits and ``_.+-`` that do not start with a dot or a dash (so no ``..``,
    no hidden or option-like names), at most 8 parts and 200 characters. Runners check again when they write
    (``oracles/workfiles.py``), after resolving symlinks.
    """
    if not isinstance(name, str) or not name or len(name) > 200:
        raise ValueError(f"file name {name!r} must be a non-empty string of at most 200 characters")
    parts = name.split("/")
    if name.startswith("/") or len(parts) > 8 or not all(_PATH_PART.fullmatch(p) for p in parts):
        raise ValueError(f"file name {name!r} is not a plain relative path inside the task's folder (parts of "
                         "letters, digits and _.+- not starting with '.' or '-'; no '..', no absolute path)")
    return name


@dataclass(frozen=True)
class TestSuite:
    """Executable tests of a task, in a form the test runners execute.

    ``kind`` picks the runner: ``native`` (treeplay's own format: ``test_functional.<ext>`` and
    ``test_security.<ext>``, each a program that exits 0 when its tests pass), ``seccodeplt`` (``testcases.py``
    defining ``testcases = {"capability": [...], "safety": [...]}``), ``cweval`` (one pytest module whose tests
    are marked ``functionality`` or ``security``). ``files`` maps file names to their source. The candidate
    program is written to ``module`` (for example ``solution.py``) next to them.
    """

    __test__ = False  # not a pytest class

    kind: str
    files: Mapping[str, str]
    module: str
    functional: bool
    security: bool
    entry_point: str | None = None
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Task files come from data sets downloaded from the internet: every name the runners write must stay
        # inside the work folder (a ValueError here is a DataError at import, naming file and line).
        for name in (*self.files, self.module):
            check_relative_path(name)
        if self.module in self.files:
            raise ValueError(f"tests.module {self.module!r} is also the name of a test file")


@dataclass(frozen=True)
class Annotation:
    """A risk node as annotated by someone else (the paper's GPT-4o blocks): the code line as they quoted it."""

    index: int
    code_line: str
    cwe: str | None
    description: str


@dataclass(frozen=True)
class Task:
    """One coding task: what the model is asked, the golden (secure) answer, and how to judge an answer.

    ``prefix`` is the code the model continues (empty when the format gives only a description); when a
    ``golden`` program is known it starts with ``prefix``. Candidates are always whole programs
    (``prefix + completion``). ``cwes`` are canonical ids (``CWE-79``).
    """

    id: str
    language: str
    cwes: tuple[str, ...]
    prompt: str
    prefix: str = ""
    golden: str | None = None
    vulnerable: tuple[str, ...] = ()
    tests: TestSuite | None = None
    entry_point: str | None = None
    annotations: tuple[Annotation, ...] = ()
    source: str = ""
    license: str = ""
    split: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RiskNode:
    """A line of the golden code where a vulnerability could be introduced (the paper's CWE risk node).

    ``line`` is 1-based in ``Task.golden``; ``char_offset`` is where that line starts in it; ``token_position``
    (k_v in the paper) is filled in once a tokenizer has been applied.
    """

    task_id: str
    line: int
    char_offset: int
    method: str
    cwe: str | None = None
    reason: str = ""
    token_position: int | None = None


@dataclass(frozen=True)
class Branch:
    """One continuation sampled by the opponent from the golden prefix at a risk node.

    ``token_ids`` / ``text``: the continuation as kept (cut at the stop point; EOS never included, see
    ``finish_reason``: ``stop`` = end of the function, ``eos``, ``length``). Depth 1 continues the golden prefix of
    node ``node_index``: tokens ``prompt + golden[:node.token_position] + token_ids``, text
    ``golden[:Tree.node_prefix_chars[node_index]] + text``. A deeper branch continues its ``parent`` (an index into
    ``Tree.branches``) after the parent's first ``offset`` tokens (``offset_chars`` characters). ``index`` is its
    number among its K siblings; ``line`` the 1-based line of the whole program at which it forks.

    A local branch (``grow.stop=statement``) rewrites the node's statement only: ``text`` is that statement (ending
    with the golden whitespace before the resume point) and the golden code resumes after it, at character
    ``resume_chars`` of ``Task.golden`` (token ``resume_token`` of ``Tree.golden_token_ids``), so its whole program
    is ``golden[:node_prefix_chars] + text + golden[resume_chars:]`` and its tokens continue with
    ``golden_token_ids[resume_token:]``. Both are None for a branch that runs to the end of the function.
    """

    node_index: int
    token_ids: tuple[int, ...]
    text: str
    finish_reason: str
    depth: int = 1
    parent: int | None = None
    index: int = 0
    offset: int = 0
    offset_chars: int = 0
    line: int | None = None
    resume_chars: int | None = None
    resume_token: int | None = None


@dataclass(frozen=True)
class Tree:
    """A golden path (trunk) with the branches grown at its risk nodes.

    ``nodes`` carry their ``token_position`` (k_v, an index into ``golden_token_ids``); ``node_prefix_chars[i]`` is
    the number of golden characters those k_v tokens decode to (the branch text continues exactly that prefix).
    ``prompt_text`` / ``prompt_format`` say how the task was put to the model; ``sampling`` how branches were drawn.
    """

    task_id: str
    iteration: int
    prompt_token_ids: tuple[int, ...]
    golden_token_ids: tuple[int, ...]
    nodes: tuple[RiskNode, ...]
    branches: tuple[Branch, ...]
    model: str
    seed: int
    prompt_text: str = ""
    prompt_format: str = ""
    node_prefix_chars: tuple[int, ...] = ()
    sampling: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A program proposed for a task: the model's ``completion`` continues ``Task.prefix``.

    The whole program judged by the oracles is ``task.prefix + completion``. ``candidate_id`` is unique within a
    file (for tree leaves: ``<task_id>/n<node>/b<branch>``).
    """

    task_id: str
    completion: str
    candidate_id: str = ""


@dataclass(frozen=True)
class Finding:
    """One static-analysis finding. ``cwe`` is canonical or None when the tool gives none."""

    tool: str
    rule: str
    cwe: str | None
    line: int
    severity: str
    message: str


@dataclass(frozen=True)
class Verdict:
    """What the oracles say about one candidate program.

    ``functional`` and ``secure_tests`` are None when the task has no such tests.
    """

    candidate_id: str
    task_id: str
    parsed: bool
    findings: tuple[Finding, ...] = ()
    functional: bool | None = None
    secure_tests: bool | None = None
    timed_out: bool = False
    error: str | None = None


@dataclass(frozen=True)
class PreferencePair:
    """A DPO pair. In tree mode ``chosen`` and ``rejected`` share ``prefix`` up to the risk node."""

    task_id: str
    prompt: str
    prefix: str
    chosen: str
    rejected: str
    mode: str
    reason: str
    node_line: int | None = None
    shared_prefix_tokens: int | None = None
    chosen_token_ids: tuple[int, ...] | None = None
    rejected_token_ids: tuple[int, ...] | None = None
    node_index: int | None = None  # index of the risk node in its Tree
    chosen_id: str | None = None  # "golden", or the candidate id of a verified branch used as chosen
    rejected_id: str | None = None  # candidate id of the rejected branch (``<task_id>/n<node>/b<branch>``)
    # Local branches: tokens of each continuation up to where it rejoins the golden code (None: it never does).
    chosen_region_tokens: int | None = None
    rejected_region_tokens: int | None = None


Record = Union[Task, RiskNode, Tree, Verdict, PreferencePair, Finding, Branch, Annotation, TestSuite, Candidate]
R = TypeVar("R")
T = TypeVar("T")


# ----------------------------------------------------------------------------------------------- (de)serialise


def to_dict(record: Any) -> dict[str, Any]:
    """The JSON object of a record, with ``schema_version`` first."""
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    out.update(_encode(record))
    return out


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def from_dict(cls: type[R], data: Any, *, file: str | Path | None = None, line: int | None = None) -> R:
    """Build ``cls`` from a JSON object, checking keys and types; errors name ``file:line`` and the field."""
    if not isinstance(data, Mapping):
        raise DataError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}",
                        file=file, line=line, fix=f"each line must be one {cls.__name__} record (a JSON object)")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise DataError(f"schema_version {version!r} is not supported (this treeplay reads {SCHEMA_VERSION})",
                        file=file, line=line, fix="re-create the file with this version of treeplay")
    body = {k: v for k, v in data.items() if k != "schema_version"}
    try:
        return _decode(cls, body, cls.__name__)
    except _FieldError as err:
        raise DataError(str(err), file=file, line=line,
                        fix=f"fix that field so the line is a valid {cls.__name__} record") from None


class _FieldError(Exception):
    pass


def _decode(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _decode(arg, value, path)
            except _FieldError as err:
                errors.append(str(err))
        raise _FieldError(errors[0] if len(errors) == 1 else f"{path}: {value!r} matches none of {tp}")
    if dataclasses.is_dataclass(tp):
        return _decode_dataclass(tp, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise _FieldError(f"{path}: expected a list, got {type(value).__name__}")
        (item_tp, _ellipsis) = typing.get_args(tp)
        return tuple(_decode(item_tp, v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict, typing.Mapping) or tp in (dict, Mapping):
        if not isinstance(value, dict):
            raise _FieldError(f"{path}: expected an object, got {type(value).__name__}")
        args = typing.get_args(tp)
        val_tp = args[1] if len(args) == 2 else Any
        return {k: _decode(val_tp, v, f"{path}.{k}") for k, v in value.items()}
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _FieldError(f"{path}: expected a number, got {value!r}")
    if tp in (int, str, bool):
        if tp is str and isinstance(value, str) and not value.isascii() and not _encodable(value):
            raise _FieldError(f"{path}: holds a lone surrogate escape (such as \\ud800), not text")
        if isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
            return value
        raise _FieldError(f"{path}: expected {tp.__name__}, got {type(value).__name__} {_short(value)}")
    raise _FieldError(f"{path}: unsupported type {tp}")  # pragma: no cover - programming error


def _decode_dataclass(cls: Any, value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise _FieldError(f"{path}: expected an object, got {type(value).__name__}")
    hints, fields = _schema(cls)
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise _FieldError(f"{path}: unknown key(s) {', '.join(unknown)} (known: {', '.join(fields)})")
    kwargs = {}
    for name, f in fields.items():
        if name not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _FieldError(f"{path}: missing required key '{name}'")
            continue
        kwargs[name] = _decode(hints[name], value[name], f"{path}.{name}")
    try:
        return cls(**kwargs)
    except ValueError as err:  # a record's own check (__post_init__)
        raise _FieldError(f"{path}: {err}") from None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: write_jsonl could not write the record back
        return False
    return True


@functools.cache
def _schema(cls: Any) -> tuple[dict[str, Any], dict[str, dataclasses.Field]]:
    """A record class's type hints and fields, computed once (``get_type_hints`` per record dominated loading)."""
    return typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ----------------------------------------------------------------------------------------------------- JSONL


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON value) for each non-blank line; a syntax error raises DataError(file, line)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found" if not path.exists() else "is a folder, not a file" if path.is_dir()
                        else "not a file", file=path, fix="check the path")
    try:
        fh = path.open("rb")  # bytes, so that a binary or non-UTF-8 line is a DataError naming its line
    except OSError as err:
        raise DataError(f"cannot read the file ({err.strerror or err})", file=path, fix="check its permissions") \
            from None
    with fh:
        yield from _json_lines(fh, path)


def _json_lines(lines: Iterable[bytes], path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) of each non-blank line; a line that is not UTF-8 JSON is a DataError."""
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataError(f"not UTF-8 text (byte {raw[err.start]:#04x} at column {err.start + 1})", file=path,
                            line=number, fix="is this a JSONL file? each line must be one JSON object") from None
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataError(f"not valid JSON ({err.msg} at column {err.colno})", file=path, line=number,
                            fix="each line must be one complete JSON object") from None
        except (ValueError, RecursionError) as err:  # e.g. an integer of more than 4300 digits
            raise DataError(f"unreadable JSON value ({str(err)[:80]})", file=path, line=number,
                            fix="repair or drop that line") from None
        yield number, value


def read_jsonl(path: str | Path, cls: type[R]) -> Iterator[R]:
    """Yield the records of a JSONL file; blank lines are skipped; bad lines raise DataError(file, line)."""
    for number, data in iter_json_lines(path):
        yield from_dict(cls, data, file=path, line=number)


def load_jsonl(path: str | Path, cls: type[R]) -> list[R]:
    """All records of a JSONL file as a list."""
    return list(read_jsonl(path, cls))


def dumps(record: Any) -> str:
    """One record as one JSON line (no trailing newline); keys in field order, so output is byte-stable."""
    return json.dumps(to_dict(record), ensure_ascii=False)


@contextmanager
def atomic_writer(path: str | Path, *, binary: bool = False) -> Iterator[Any]:
    """A file handle whose content replaces ``path`` only once the block ends without error: written to a
    temporary file beside it, fsynced, then renamed, so readers (and a re-run after a crash) never see half a
    file. The parent folder is created, and temporary files that a killed writer of ``path`` left are removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.tmp*"):
        stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with tmp.open("wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (see ``atomic_writer``)."""
    with atomic_writer(path) as fh:
        fh.write(text)


def write_jsonl(path: str | Path, records: Iterable[Any]) -> int:
    """Write all records to ``path`` atomically (temporary file, fsync, rename). Returns the count."""
    count = 0
    with atomic_writer(path) as fh:
        for record in records:
            fh.write(dumps(record) + "\n")
            count += 1
    return count


def append_jsonl(path: str | Path, record: Any) -> None:
    """Append one record and make it durable before returning (a crash loses at most a partial last line)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(dumps(record) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def resume_jsonl(path: str | Path, cls: type[R]) -> list[R]:
    """Records already in an append-only stage output, after repairing a crash (``repair_torn_line``): the
    re-run appends cleanly and nothing is duplicated. A missing file means nothing was done yet. Every complete
    line is checked before the file is touched: a file that is not this stage's output (a wrong -o) is reported,
    never cut."""
    path = Path(path)
    if not path.exists():
        return []
    if not path.is_file():
        raise DataError("is a folder, not a file", file=path, fix="pick another output path")
    return repair_torn_line(path, lambda data: [from_dict(cls, value, file=path, line=number)
                                                for number, value in _json_lines(data.split(b"\n"), path)])


def repair_torn_line(path: str | Path, read: Callable[[bytes], T]) -> T:
    """``read`` of an append-only file's complete lines, its torn last line cut off.

    A process killed mid-append can leave a last line without its newline; the file is truncated to the end of its
    last complete line (and synced). ``read`` runs first: when it raises, the file is left as it was."""
    path = Path(path)
    data = path.read_bytes()
    keep = len(data) if data.endswith(b"\n") else data.rfind(b"\n") + 1
    result = read(data[:keep])
    if keep < len(data):
        with path.open("r+b") as fh:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
    return result
