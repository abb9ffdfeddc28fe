"""The judge's channel (tp_rpc) in this process, and the judge against hostile candidates in the real sandbox."""

from __future__ import annotations

import datetime
import decimal
import math
import os
import pathlib
import threading
import uuid

import pytest

from treeplay.oracles.judge import tp_rpc
from treeplay.oracles.native import run_native_tests
from treeplay.oracles.sandbox import Sandbox
from treeplay.records import TestSuite

from .sandboxes import real_sandbox

pytestmark = pytest.mark.timeout(120)


def _pair(*, guarded_server: bool = True):
    """A judge-like endpoint (serves guarded) and a candidate-like client, the candidate serving in a thread."""
    a_read, b_write = os.pipe()
    b_read, a_write = os.pipe()
    judge = tp_rpc.Endpoint(tp_rpc.Channel(a_read, a_write), guarded=guarded_server)
    candidate = tp_rpc.Endpoint(tp_rpc.Channel(b_read, b_write), guarded=False,
                                handlers={"import": lambda ep, msg: __import__(msg["name"])})

    def serve() -> None:
        try:
            while True:
                candidate.serve(candidate.channel.receive(None))
        except tp_rpc.ChannelFailure:
            pass

    threading.Thread(target=serve, daemon=True).start()
    return judge, candidate


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2 ** 80, 1.5, "text", "\udcff surrogate", b"\x00\xff", (1, (2, "x")), frozenset({1, 2}),
    complex(1, -2), [1, [2, {"k": {3}}]], {"a": [1], (1, 2): b"z"}, {4, 5}, bytearray(b"ab"),
    pathlib.PurePosixPath("/a/b"), pathlib.Path("rel"), datetime.date(2024, 5, 1), datetime.timedelta(3, 4, 5),
    datetime.datetime(2024, 1, 2, 3, 4, 5), decimal.Decimal("1.10"), uuid.UUID(int=7), Ellipsis, int, ValueError,
])
def test_plain_values_cross_by_copy_unchanged(value: object) -> None:
    endpoint = tp_rpc.Endpoint(tp_rpc.Channel(-1, -1), guarded=False)
    back = endpoint.decode(endpoint.encode(value, {}), {})
    assert back == value and type(back) is type(value)


def test_special_floats_and_subclasses_cross_as_plain_values() -> None:
    endpoint = tp_rpc.Endpoint(tp_rpc.Channel(-1, -1), guarded=False)

    class Agreeable(str):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = str.__hash__

    assert math.isnan(endpoint.decode(endpoint.encode(float("nan"), {}), {}))
    back = endpoint.decode(endpoint.encode(Agreeable("x"), {}), {})
    assert type(back) is str and back != "y"


def test_a_cycle_in_copied_containers_survives() -> None:
    endpoint = tp_rpc.Endpoint(tp_rpc.Channel(-1, -1), guarded=False)
    loop: list = [1]
    loop.append(loop)
    back = endpoint.decode(endpoint.encode(loop, {}), {})
    assert back[0] == 1 and back[1] is back


def test_calls_cross_and_argument_containers_are_copied_back() -> None:
    judge, _ = _pair()
    math_module = judge.request("import", name="math")
    assert math_module.sqrt(16) == 4.0
    bisect = judge.request("import", name="bisect")
    numbers = [1, 3]
    bisect.insort(numbers, 2)  # the candidate's side mutates its copy; the state comes back into ours
    assert numbers == [1, 2, 3]


def test_exceptions_cross_as_their_class() -> None:
    judge, _ = _pair()
    json_module = judge.request("import", name="json")
    with pytest.raises(ValueError) as caught:
        json_module.loads("{")
    assert type(caught.value).__name__ == "JSONDecodeError"
    assert "raised in the other process" in "".join(getattr(caught.value, "__notes__", []))


def test_guarded_side_refuses_private_attributes_and_modules() -> None:
    judge, _ = _pair()
    functools = judge.request("import", name="functools")
    assert functools.reduce(lambda a, b: a + b, [1, 2, 3]) == 6  # the candidate calls the judge's function back
    builtins = judge.request("import", name="builtins")
    for name in ("__globals__", "__code__", "_private"):
        with pytest.raises(AttributeError):  # the candidate asks the judge for it, and is refused
            builtins.getattr(lambda: 1, name)
    with pytest.raises(tp_rpc.Refused):
        judge.reference(os)


def test_a_dead_peer_is_a_channel_failure_not_an_exception() -> None:
    a_read, a_write = os.pipe()
    os.close(a_write)
    endpoint = tp_rpc.Endpoint(tp_rpc.Channel(a_read, os.open(os.devnull, os.O_WRONLY)), guarded=True)
    with pytest.raises(tp_rpc.PeerGone):
        endpoint.request("import", name="os")
    assert not issubclass(tp_rpc.PeerGone, Exception), "a test's `except Exception` must not swallow it"


def test_an_oversized_frame_is_a_protocol_error() -> None:
    read, write = os.pipe()
    os.write(write, (tp_rpc.MAX_MESSAGE + 1).to_bytes(4, "big"))
    with pytest.raises(tp_rpc.ProtocolError):
        tp_rpc.Channel(read, write).receive(None)


# --------------------------------------------------------------------------------- hostile candidates (sandbox)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return real_sandbox()


def _one_test(body: str, program: str, sandbox: Sandbox, timeout: float = 20.0):
    suite = TestSuite(kind="native", module="solution.py", functional=False, security=True,
                      files={"test_security.py": "from solution import f\n\n\ndef test_it():\n" + body})
    return run_native_tests(suite, "python", program, sandbox=sandbox, timeout=timeout)


@pytest.mark.tools
def test_candidate_cannot_read_or_trace_the_judge(sandbox: Sandbox) -> None:
    program = '''import ctypes, os
def f():
    found = []
    for path in ("/proc/%d/mem" % os.getppid(), "/proc/%d/fd/1" % os.getppid(), "/proc/%d/environ" % os.getppid()):
        try:
            open(path, "rb").read(1)
            found.append(path)
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, os.getppid(), 0, 0) == 0:  # PTRACE_ATTACH
        found.append("ptrace")
    return found
'''
    out = _one_test("    assert f() == []\n", program, sandbox)
    assert out.secure_tests is True, out


@pytest.mark.tools
def test_candidate_that_kills_the_judge_fails(sandbox: Sandbox) -> None:
    out = _one_test("    assert f()\n", "import os, signal\ndef f():\n    os.kill(os.getppid(), signal.SIGKILL)\n",
                    sandbox)
    assert out.secure_tests is False, out


@pytest.mark.tools
def test_candidate_writing_garbage_into_its_channel_fails(sandbox: Sandbox) -> None:
    program = "import os, sys\ndef f():\n    os.write(int(sys.argv[2]), b'\\x00\\x00\\x00\\x05{[}]x')\n    return 1\n"
    out = _one_test("    assert f() == 1\n", program, sandbox)
    assert out.secure_tests is False, out


@pytest.mark.tools
def test_candidate_raising_system_exit_zero_fails(sandbox: Sandbox) -> None:
    out = _one_test("    assert f() is None\n", "def f():\n    raise SystemExit(0)\n", sandbox)
    assert out.secure_tests is False, out


@pytest.mark.tools
def test_candidate_hanging_in_one_test_is_cut_and_reported(sandbox: Sandbox) -> None:
    out = _one_test("    f()\n", "def f():\n    while True:\n        pass\n", sandbox, timeout=4)
    assert out.secure_tests is False and out.timed_out, out


@pytest.mark.tools
def test_candidate_cannot_change_the_test_files(sandbox: Sandbox) -> None:
    program = '''import os, sys
def f():
    folder = sys.argv[3]
    try:
        with open(os.path.join(folder, "test_security.py"), "w") as handle:
            handle.write("def test_it():\\n    pass\\n")
        return "written"
    except OSError as err:
        return type(err).__name__
'''
    out = _one_test("    assert f() == 'OSError'\n", program, sandbox)
    assert out.secure_tests is True, out


@pytest.mark.tools
def test_candidate_filling_the_disk_is_stopped_at_its_scratch_cap(sandbox: Sandbox) -> None:
    # Files of 32 MiB (each under the per-file cap) until the disk is full: /tmp, the only writable place, is a
    # tmpfs of limits.scratch_mb, so this stops there and nothing reaches the host's disk.
    program = '''import os
def f():
    written = 0
    try:
        for number in range(64):
            with open("fill-%d.bin" % number, "wb") as handle:
                for _ in range(32):
                    handle.write(b"\\0" * (1 << 20))
                    written += 1 << 20
    except OSError as err:
        return written, err.errno
    return written, 0
'''
    check = "    import errno\n    written, error = f()\n    assert error == errno.ENOSPC and written < (300 << 20)\n"
    out = _one_test(check, program, sandbox, timeout=60)
    assert out.secure_tests is True, out
