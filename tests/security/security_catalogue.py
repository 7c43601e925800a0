"""The containment catalogue: every escape mechanism the security suite tries.

One entry per DISTINCT mechanism (not the same call with another path): its category,
the attacker plugin and attempt that perform it, the test that checks it and the
outcome that test asserts. The tests take their parameters from here (``catalogued``)
and ``README.md``'s table is generated from here, so the two cannot drift:
``test_sec_catalogue.py`` fails when the table is stale, a test is missing, or an
attempt named here does not exist in its plugin.

Regenerate the README table with::

    .venv/bin/python tests/security/security_catalogue.py --write
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN, END = "<!-- BEGIN CATALOGUE -->", "<!-- END CATALOGUE -->"

#: Attacker plugins: key -> (directory under plugins/, identity the suite loads it as).
ATTACKERS: dict[str, tuple[str, str]] = {
    "fs": ("attacker_fs_env", "attacker-fs-env"),
    "net": ("attacker_net_proc", "attacker-net-proc"),
    "res": ("attacker_resources", "attacker-resources"),
    "abi": ("attacker_abi", "attacker-abi"),
}

#: Known defects found by this suite; a test naming one is xfail(strict=True).
BUG_NESTED_OP_ENVELOPE = (
    "BUG (host_abi/envelope.py _load, runtime/broker/services.py handle): a deeply nested op "
    "envelope makes json raise RecursionError, which is not mapped to MALFORMED_ENVELOPE: the "
    "guest gets INTERNAL and the host logs a full traceback per op, outside the log rate "
    "limit and the host-call budget")
BUG_NESTED_ANSWER = (
    "BUG (runtime/dispatch.py PluginHost._decode): a deeply nested answer envelope raises "
    "RecursionError out of Runtime.call / call_or_fail_answer instead of a PluginRuntimeError "
    "(MALFORMED_ENVELOPE), so no fail-policy answer is given")
BUG_FORGED_INSTANCE_START = (
    "BUG (runtime/dispatch.py PluginHost._start/_release): an instance_start answer with a "
    "non-integer hook makes int() raise ValueError while replacing a broken instance; "
    "_release catches only PluginRuntimeError, so the ValueError replaces SANDBOX_BROKEN "
    "and reaches the caller")
BUG_LOG_FIELDS = (
    "BUG (runtime/broker/logs.py PluginLogger.log): LOG_MAX_MESSAGE_CHARS bounds only the "
    "message; the log op's fields are appended in full to the host's log line")


@dataclass(frozen=True)
class Mechanism:
    """One escape mechanism and what the suite expects of it."""

    id: str
    category: str
    #: Key of ATTACKERS.
    plugin: str
    #: What the attacker does, in a few words.
    tries: str
    #: The outcome the test asserts (guest error, host error code, host-side check).
    expect: str
    #: Name of the test function (unique across tests/security/test_sec_*.py).
    test: str
    #: The attempt the plugin runs (default: the mechanism id).
    attempt: str = ""
    #: Exception type name the guest must see (guest-side refusals).
    raises: str = ""
    #: Error code the host must answer: the call's code, or the op answer's code.
    code: str = ""
    #: Known defect: the test is marked xfail(strict=True) with this reason.
    bug: str = ""
    #: Extra request headers for the attempt.
    params: tuple[tuple[str, str], ...] = ()

    @property
    def attempt_name(self) -> str:
        return self.attempt or self.id


CATEGORIES = (
    "file system", "environment", "network", "processes", "signals", "threads", "exits",
    "native code", "imports", "raw WASI imports", "forged or ungranted ops",
    "other plugins' KV", "other plugins' events", "CPU", "stack", "memory", "output size",
    "host-call floods", "clock and random", "SDK internals", "build time",
)

_M: list[Mechanism] = []


def _add(category: str, plugin: str, test: str, rows: list[tuple[Any, ...]]) -> None:
    """rows: (id, tries, expect, {field: value}) tuples; the dict is optional."""
    for row in rows:
        mid, tries, expect = row[:3]
        extra: dict[str, Any] = dict(row[3]) if len(row) > 3 else {}
        _M.append(Mechanism(id=mid, category=category, plugin=plugin, tries=tries,
                            expect=expect, test=test, **extra))


# -- file system ------------------------------------------------------------------------
_FNF = {"raises": "FileNotFoundError"}
_add("file system", "fs", "test_file_system_attempt_is_refused", [
    ("fs.open_read", "open() and read a file the host created", "FileNotFoundError (no preopened directory); canary unchanged", _FNF),
    ("fs.open_append", "open the host's file for append and write", "FileNotFoundError; canary content unchanged", _FNF),
    ("fs.create_file", "create a file in a host directory", "FileNotFoundError; no file appears on the host", _FNF),
    ("fs.os_open", "os.open()/os.read(): raw descriptors", "FileNotFoundError", _FNF),
    ("fs.listdir_root", "os.listdir('/')", "FileNotFoundError: the guest has no root to list", _FNF),
    ("fs.stat", "os.stat() the host's file (existence probe)", "FileNotFoundError", _FNF),
    ("fs.mkdir", "os.mkdir() in a host directory", "FileNotFoundError; no directory appears", _FNF),
    ("fs.remove", "os.remove() the host's file", "FileNotFoundError; the canary still exists", _FNF),
    ("fs.rename", "os.rename() the host's file", "FileNotFoundError; the canary still exists", _FNF),
    ("fs.symlink", "symlink /etc/passwd into a host directory", "FileNotFoundError; no link appears", _FNF),
    ("fs.chmod", "os.chmod(canary, 0o777)", "returns None (wasi-libc's chmod is a no-op without a file system); the host file's mode is unchanged", {"raises": ""}),
    ("fs.truncate", "os.truncate() the host's file", "FileNotFoundError; size unchanged", _FNF),
    ("fs.utime", "os.utime() the host's file", "FileNotFoundError; mtime unchanged", _FNF),
    ("fs.chdir", "os.chdir() into a host directory", "FileNotFoundError", _FNF),
    ("fs.guess_fds", "fstat descriptors 3-63, looking for an inherited or preopened one", "none answers (returns {})", {"raises": ""}),
    ("fs.sqlite_file", "sqlite3.connect() a database file in a host directory", "sqlite3 OperationalError; no file appears", {"raises": "OperationalError"}),
    ("fs.tempfile", "tempfile.mkstemp()", "FileNotFoundError: no usable temporary directory", _FNF),
    ("fs.read_stdin", "read the host's stdin (fd 0)", "returns empty: the guest's stdin is not the host's", {"raises": ""}),
])

# -- environment ------------------------------------------------------------------------
_add("environment", "fs", "test_environment_is_empty", [
    ("env.environ", "dict(os.environ)", "{} while the host's environment holds a canary variable"),
    ("env.create_environ", "posix._create_environ(): ask WASI for the environment again", "{}; the canary is not there"),
])
_add("environment", "fs", "test_process_identity_is_not_the_hosts", [
    ("env.argv", "sys.argv, sys.orig_argv, sys.executable", "empty: no host command line or executable path"),
    ("env.identity", "uname, hostname, pid, cwd, cpu_count", "WASI's placeholders (wasi, '(none)', pid 42, '/', 1), not the host's"),
])
_add("environment", "fs", "test_putenv_stays_in_the_guest", [
    ("env.putenv", "os.putenv() / os.environ[...] = ...", "the guest sees its own change; the host's os.environ does not"),
])
_add("environment", "fs", "test_interpreter_paths_name_no_host_path", [
    ("env.build_paths", "sys.path, prefixes and every module's __file__", "guest-virtual paths only: no host repository, home, venv or build directory"),
])

# -- network ----------------------------------------------------------------------------
_PERM = {"raises": "PermissionError"}
_GAI = {"raises": "gaierror"}
_add("network", "net", "test_network_attempt_is_refused", [
    ("net.tcp_connect", "TCP connect to a listener on 127.0.0.1", "PermissionError; the listener sees no connection", _PERM),
    ("net.tcp6_connect", "TCP connect over IPv6 to ::1", "PermissionError", _PERM),
    ("net.udp_sendto", "UDP sendto a listening socket on 127.0.0.1", "PermissionError; the UDP socket receives nothing", _PERM),
    ("net.bind_listen", "bind and listen on 127.0.0.1", "PermissionError", _PERM),
    ("net.dns", "getaddrinfo('localhost')", "socket.gaierror: name look-ups are not granted", _GAI),
    ("net.create_connection", "socket.create_connection() to the listener", "socket.gaierror; no connection", _GAI),
    ("net.urllib", "urllib.request.urlopen() the listener", "urllib URLError; no connection", {"raises": "URLError"}),
    ("net.http_client", "http.client request to the listener", "socket.gaierror; no connection", _GAI),
    ("net.asyncio", "asyncio.open_connection() to the listener", "PermissionError (the event loop cannot even make its self-pipe)", _PERM),
    ("net.socketpair", "socket.socketpair()", "PermissionError", _PERM),
    ("net.fromfd", "socket.fromfd() on descriptors 3-15", "no descriptor can be adopted (OSError)", {"raises": "OSError"}),
    ("net.raw_socket", "a SOCK_RAW ICMP socket", "AttributeError: no SOCK_RAW in the guest", {"raises": "AttributeError"}),
])

# -- processes --------------------------------------------------------------------------
_ATTR = {"raises": "AttributeError"}
_MNF = {"raises": "ModuleNotFoundError"}
_add("processes", "net", "test_process_attempt_is_refused", [
    ("proc.subprocess", "subprocess.run(['/bin/sh', '-c', 'id'])", "OSError: wasi does not support processes", {"raises": "OSError"}),
    ("proc.os_system", "os.system('id')", "AttributeError: no os.system", _ATTR),
    ("proc.fork", "os.fork()", "AttributeError: no os.fork", _ATTR),
    ("proc.exec", "os.execv('/bin/sh', ...)", "AttributeError: no os.execv", _ATTR),
    ("proc.posix_spawn", "os.posix_spawn('/bin/sh', ...)", "AttributeError", _ATTR),
    ("proc.kill", "os.kill(1, SIGKILL)", "AttributeError: no os.kill", _ATTR),
    ("proc.multiprocessing", "multiprocessing.Process().start()", "ModuleNotFoundError (no process start method)", _MNF),
    ("proc.process_pool", "concurrent.futures.ProcessPoolExecutor", "ModuleNotFoundError", _MNF),
])

# -- signals ----------------------------------------------------------------------------
_add("signals", "net", "test_signal_stays_in_the_guest", [
    ("sig.raise_sigint", "signal.raise_signal(SIGINT)", "KeyboardInterrupt inside the guest only", {"raises": "KeyboardInterrupt"}),
    ("sig.alarm", "install a SIGALRM handler and signal.alarm(1)", "AttributeError: no alarm()", _ATTR),
    ("sig.interrupt_main", "_thread.interrupt_main()", "KeyboardInterrupt inside the guest only", {"raises": "KeyboardInterrupt"}),
])
_add("signals", "net", "test_fatal_signal_breaks_only_the_instance", [
    ("sig.raise_sigterm", "signal.raise_signal(SIGTERM) (default action: terminate)", "SANDBOX_BROKEN (wasm trap); instance replaced", {"code": "SANDBOX_BROKEN"}),
])

# -- threads ----------------------------------------------------------------------------
_add("threads", "net", "test_thread_attempt_is_refused", [
    ("thr.thread", "threading.Thread().start()", "RuntimeError: can't start new thread", {"raises": "RuntimeError"}),
    ("thr.start_new_thread", "_thread.start_new_thread()", "RuntimeError: can't start new thread", {"raises": "RuntimeError"}),
    ("thr.thread_pool", "concurrent.futures.ThreadPoolExecutor", "ModuleNotFoundError", _MNF),
    ("thr.asyncio_to_thread", "asyncio.to_thread()", "PermissionError (no event loop without sockets)", _PERM),
])

# -- exits ------------------------------------------------------------------------------
_add("exits", "net", "test_exit_is_contained", [
    ("exit.sys_exit", "sys.exit(3) escaping the hook", "PLUGIN_RAISED (SystemExit: 3); same instance serves on", {"code": "PLUGIN_RAISED"}),
    ("exit.keyboard_interrupt", "raise KeyboardInterrupt", "PLUGIN_RAISED", {"code": "PLUGIN_RAISED"}),
    ("exit.base_exception", "raise a BaseException subclass the SDK does not catch", "INTERNAL (the component export catches it); same instance serves on", {"code": "INTERNAL"}),
    ("exit.thread_exit", "_thread.exit()", "PLUGIN_RAISED (SystemExit)", {"code": "PLUGIN_RAISED"}),
    ("exit.os_exit", "os._exit(7): wasi:cli/exit", "SANDBOX_BROKEN 'exited the sandbox'; instance replaced", {"code": "SANDBOX_BROKEN"}),
    ("exit.abort", "os.abort()", "SANDBOX_BROKEN (unreachable trap); instance replaced", {"code": "SANDBOX_BROKEN"}),
])

# -- native code ------------------------------------------------------------------------
_add("native code", "fs", "test_native_code_is_unavailable", [
    ("native.ctypes", "import ctypes and CDLL(None)", "ModuleNotFoundError (no _ctypes)", _MNF),
    ("native.cffi", "import cffi", "ModuleNotFoundError", _MNF),
    ("native.extension_loader", "ExtensionFileLoader on a host file (dlopen)", "ImportError: library not found", {"raises": "ImportError"}),
    ("native.read_null", "faulthandler._read_null(): read address 0", "returns 0: address 0 of the guest's own linear memory; no host memory, no trap", {"raises": ""}),
])
_add("native code", "fs", "test_native_crash_breaks_only_the_instance", [
    ("native.sigsegv", "faulthandler._sigsegv()", "SANDBOX_BROKEN (wasm trap); instance replaced", {"code": "SANDBOX_BROKEN"}),
    ("native.sigfpe", "faulthandler._sigfpe()", "SANDBOX_BROKEN (integer divide by zero trap)", {"code": "SANDBOX_BROKEN"}),
    ("native.forged_bytecode", "run a function whose co_code is garbage", "SANDBOX_BROKEN (the interpreter crashes inside wasm)", {"code": "SANDBOX_BROKEN"}),
    ("native.marshal_code", "marshal.loads() a corrupted code object", "PLUGIN_RAISED (ValueError: bad marshal data)", {"code": "PLUGIN_RAISED"}),
])

# -- imports ----------------------------------------------------------------------------
_add("imports", "fs", "test_import_attempt_is_refused", [
    ("imp.not_in_snapshot", "import a stdlib module not imported at build time (xmlrpc)", "ModuleNotFoundError", _MNF),
    ("imp.host_packages", "import the host's runtime, its broker, wasmtime, grpc", "ModuleNotFoundError for each", _MNF),
    ("imp.sys_path_insert", "put a host directory holding a module on sys.path and import it", "ModuleNotFoundError", _MNF),
    ("imp.spec_from_file", "SourceFileLoader on a host .py file", "FileNotFoundError", _FNF),
    ("imp.dunder_import", "__import__('os').system", "AttributeError", _ATTR),
    ("imp.reload_os", "importlib.reload(os) to get os.system back", "AttributeError", _ATTR),
    ("imp.zipimport", "zipimporter on the stdlib archive named in sys.path", "ZipImportError (a build-time path)", {"raises": "ZipImportError"}),
])

# -- raw WASI imports -------------------------------------------------------------------
_add("raw WASI imports", "abi", "test_no_python_module_exposes_wasi", [
    ("wasi.modules", "import wasi/_wasi/wasip2 or a wit_world module for a WASI interface", "ModuleNotFoundError for each; wit_world exposes only the host interface"),
])
_add("raw WASI imports", "abi", "test_raw_import_call_breaks_only_the_instance", [
    ("wasi.call_import_other_index", "componentize_py_runtime.call_import(1, []): an import index other than host.call", "SANDBOX_BROKEN (no such import: trap); instance replaced", {"code": "SANDBOX_BROKEN"}),
    ("wasi.drop_resource", "componentize_py_runtime.drop_resource(0, 1)", "SANDBOX_BROKEN (trap); instance replaced", {"code": "SANDBOX_BROKEN"}),
])
_add("raw WASI imports", "abi", "test_op_answer_code", [
    ("wasi.call_import_host_index", "host.call through call_import(0, ...) with an ungranted op", "PERMISSION_DENIED: the untyped path gets the same checks", {"code": "PERMISSION_DENIED"}),
])

# -- forged or ungranted ops ----------------------------------------------------------------
_add("forged or ungranted ops", "abi", "test_op_answer_code", [
    ("abi.unknown_op", "host.call(77, ...)", "UNKNOWN_OP", {"code": "UNKNOWN_OP"}),
    ("abi.not_json", "an op envelope that is not JSON", "MALFORMED_ENVELOPE", {"code": "MALFORMED_ENVELOPE"}),
    ("abi.not_an_object", "an op envelope that is a JSON array", "MALFORMED_ENVELOPE", {"code": "MALFORMED_ENVELOPE"}),
    ("abi.no_version", "an op envelope without \"v\"", "MALFORMED_ENVELOPE", {"code": "MALFORMED_ENVELOPE"}),
    ("abi.wrong_version", "an op envelope with \"v\": 2", "ABI_VERSION_MISMATCH", {"code": "ABI_VERSION_MISMATCH"}),
    ("abi.args_not_object", "\"args\" that is a string", "MALFORMED_ENVELOPE", {"code": "MALFORMED_ENVELOPE"}),
    ("abi.oversized_envelope", "an op envelope over MAX_ENVELOPE_BYTES (32 MiB)", "PAYLOAD_TOO_LARGE", {"code": "PAYLOAD_TOO_LARGE"}),
    ("abi.granted_not_requested", "gateway.get_app: apps.read granted by the policy, not requested", "PERMISSION_DENIED (effective = requested and granted)", {"code": "PERMISSION_DENIED"}),
    ("abi.never_granted", "gateway.validate_credential: scope never granted", "PERMISSION_DENIED", {"code": "PERMISSION_DENIED"}),
    ("abi.other_runtime", "studio.list_apps from a gateway-runtime plugin", "WRONG_RUNTIME", {"code": "WRONG_RUNTIME"}),
    ("abi.stream_emit_outside", "stream.emit during process_post_auth", "STREAM_CLOSED", {"code": "STREAM_CLOSED"}),
    ("abi.stream_read_foreign", "stream.read of handles 0-3 and 2**31 it never opened", "STREAM_CLOSED for each", {"code": "STREAM_CLOSED"}),
])
_add("forged or ungranted ops", "abi", "test_nested_op_envelope_is_malformed", [
    ("abi.deeply_nested_envelope", "an op envelope nested 100,000 arrays deep", "MALFORMED_ENVELOPE, no host traceback in the log", {"code": "MALFORMED_ENVELOPE"}),
])
_add("forged or ungranted ops", "abi", "test_unliftable_op_call_breaks_only_the_instance", [
    ("abi.op_out_of_range", "host.call(2**32, ...): an op number that is not a u32", "SANDBOX_BROKEN (lowering traps); instance replaced", {"code": "SANDBOX_BROKEN"}),
    ("abi.lone_surrogate", "an op payload holding a lone surrogate (not UTF-8)", "SANDBOX_BROKEN (lowering traps); instance replaced", {"code": "SANDBOX_BROKEN"}),
])
_add("forged or ungranted ops", "net", "test_service_without_scope_is_denied", [
    ("scope.kv_not_requested", "ctx.services.kv.read without kv.readwrite", "the guest's PermissionDenied (PERMISSION_DENIED)", {"raises": "PermissionDenied", "code": "PERMISSION_DENIED"}),
    ("scope.publish_not_requested", "ctx.services.events.publish without events.publish", "the guest's PermissionDenied (PERMISSION_DENIED)", {"raises": "PermissionDenied", "code": "PERMISSION_DENIED"}),
])

# -- other plugins' KV ------------------------------------------------------------------
_add("other plugins' KV", "abi", "test_kv_read_never_reaches_the_victim", [
    ("ns.same_key", "kv.read of the victim's key name", "NOT_FOUND; the victim's entry unchanged", {"code": "NOT_FOUND"}),
    ("ns.traversal_key", "keys ../victim/secret, /victim/secret, ..\\victim\\secret", "NOT_FOUND for each", {"code": "NOT_FOUND"}),
    ("ns.separator_keys", "keys victim:secret, victim/secret, victim.secret, look-alike slash, tuple text", "NOT_FOUND for each", {"code": "NOT_FOUND"}),
    ("ns.control_char_key", "keys victim\\x00secret, victim\\x1fsecret, victim\\nsecret", "INVALID_ARGUMENT for each", {"code": "INVALID_ARGUMENT"}),
])
_add("other plugins' KV", "abi", "test_kv_write_lands_in_own_namespace", [
    ("ns.forged_args", "kv.write with namespace/identity/plugin arguments naming the victim", "written to the attacker's namespace; the victim's unchanged"),
    ("ns.forged_envelope", "raw kv.write envelope with top-level plugin/identity/namespace keys", "written to the attacker's namespace; the victim's unchanged"),
    ("ns.guest_identity", "set the SDK's plugin_id to the victim, then kv.write", "written to the attacker's namespace; the victim's unchanged"),
])
_add("other plugins' KV", "abi", "test_kv_list_and_delete_stay_in_own_namespace", [
    ("ns.list_enumeration", "kv.list('') and kv.list('<victim>')", "only the attacker's own keys"),
    ("ns.delete_other", "kv.delete of the victim's key name", "deleted: false; the victim's entry is still there"),
])
_add("other plugins' KV", "abi", "test_kv_limits_hold", [
    ("ns.overlong_key", "a 256-character key", "INVALID_ARGUMENT", {"code": "INVALID_ARGUMENT"}),
    ("ns.value_too_large", "a value of KV_MAX_VALUE_BYTES + 1", "PAYLOAD_TOO_LARGE", {"code": "PAYLOAD_TOO_LARGE"}),
])

# -- other plugins' events --------------------------------------------------------------
_add("other plugins' events", "abi", "test_event_origin_is_set_by_the_host", [
    ("ev.spoof_origin", "events.publish with origin/plugin/identity arguments naming the victim", "the subscriber sees origin plugin:attacker-abi@local"),
])
_add("other plugins' events", "abi", "test_cannot_unsubscribe_another_plugin", [
    ("ev.unsubscribe_other", "events.unsubscribe of the victim's subscription id", "removed: false; the victim still receives events"),
])
_add("other plugins' events", "abi", "test_op_answer_code", [
    ("ev.private_handler", "subscribe with handler __init__, _private, __class__, os.system", "INVALID_ARGUMENT for each", {"code": "INVALID_ARGUMENT"}),
])

# -- CPU --------------------------------------------------------------------------------
_DL = {"code": "DEADLINE_EXCEEDED"}
_add("CPU", "res", "test_deadline_stops_the_guest", [
    ("cpu.infinite_loop", "while True", "DEADLINE_EXCEEDED within the deadline; instance replaced; fail-closed answer", _DL),
    ("cpu.loop_swallowing_exceptions", "a loop that catches BaseException", "DEADLINE_EXCEEDED (an epoch trap is not an exception)", _DL),
    ("cpu.regex_backtracking", "catastrophic regex backtracking (CPU in C code)", "DEADLINE_EXCEEDED", _DL),
    ("cpu.bigint", "pow(3, 10**10) (CPU in C code)", "DEADLINE_EXCEEDED", _DL),
])
_add("CPU", "res", "test_blocking_wasi_call_is_stopped_by_the_deadline", [
    ("cpu.sleep", "time.sleep(1.5) with a 400 ms deadline", "DEADLINE_EXCEEDED within the deadline", _DL),
    ("cpu.select_timeout", "select.select([], [], [], 1.5) with a 400 ms deadline", "DEADLINE_EXCEEDED within the deadline", _DL),
])

# -- stack ------------------------------------------------------------------------------
_SB = {"code": "SANDBOX_BROKEN"}
_add("stack", "res", "test_stack_exhaustion_is_contained", [
    ("stack.python_recursion", "unbounded Python recursion (default limit)", "PLUGIN_RAISED (RecursionError); same instance serves on", {"code": "PLUGIN_RAISED"}),
    ("stack.unlimited_recursion", "sys.setrecursionlimit(10**7), then recurse", "SANDBOX_BROKEN (call stack exhausted); instance replaced", _SB),
    ("stack.c_json_parser", "json.loads of 100,000 nested arrays (recursion in C)", "SANDBOX_BROKEN (call stack exhausted)", _SB),
    ("stack.c_repr", "repr() of 100,000 nested lists (recursion in C)", "SANDBOX_BROKEN (call stack exhausted)", _SB),
    ("stack.c_compiler", "compile() 1,000 nested parentheses", "SANDBOX_BROKEN (call stack exhausted)", _SB),
])

# -- memory -----------------------------------------------------------------------------
_ME = {"code": "MEMORY_EXCEEDED"}
_add("memory", "res", "test_memory_bomb_is_contained", [
    ("mem.bytearray_bomb", "grow a bytearray by 1 MiB forever", "MEMORY_EXCEEDED at the 64 MiB cap; instance replaced", _ME),
    ("mem.list_bomb", "append 100,000-element lists forever", "MEMORY_EXCEEDED", _ME),
    ("mem.str_multiplication", "'x' * 2**30", "MEMORY_EXCEEDED", _ME),
    ("mem.host_answers", "keep 60 kv.read answers of 4 MiB (memory grown by the host's answers)", "MEMORY_EXCEEDED", _ME),
])
_add("memory", "res", "test_swallowed_memory_error_leaves_the_host_serving", [
    ("mem.swallowed_memory_error", "hit the cap, catch MemoryError, answer normally", "the answer is served; later calls are served"),
])

# -- output size ------------------------------------------------------------------------
_add("output size", "abi", "test_answer_over_the_envelope_limit", [
    ("out.answer_too_large", "a PluginResponse body of 32 MiB + 1", "PAYLOAD_TOO_LARGE; fail-closed answer", {"code": "PAYLOAD_TOO_LARGE"}),
])
_add("output size", "res", "test_huge_log_line_is_cut", [
    ("out.huge_log_line", "one log message of 1,000,000 characters", "the host's log line is cut to LOG_MAX_MESSAGE_CHARS and marked"),
])
_add("output size", "res", "test_huge_log_fields_are_cut", [
    ("out.huge_log_fields", "a short log message with a 1,000,000-character field", "the host's log line is bounded like a message", {}),
])
_add("output size", "res", "test_log_identity_cannot_be_spoofed", [
    ("out.log_spoofing", "log with plugin/identity arguments and fields naming a victim", "the host's record names the attacker (record.plugin, logger name)"),
])
_add("output size", "res", "test_log_flood_is_rate_limited", [
    ("out.log_flood", "300 log lines in under a second (three calls)", "at most LOG_BURST_LINES get through; the rest are counted as dropped"),
])
_add("output size", "res", "test_print_flood_is_bounded", [
    ("out.print_flood", "1,000 print() lines and a 100,000-character stderr line", "at most max_host_calls lines reach the host log; the call answers"),
])
_add("output size", "res", "test_raw_descriptor_writes_are_discarded", [
    ("out.raw_fd_write", "os.write(1/2) and sys.__stdout__ (bypassing the SDK's capture)", "nothing reaches the host's stdout or stderr"),
])

# -- host-call floods ---------------------------------------------------------------------
_add("host-call floods", "res", "test_host_call_budget", [
    ("flood.log_ops", "1,000 log ops in one hook call", "LIMIT_EXCEEDED from op 101 on (max_host_calls 100)", {"code": "LIMIT_EXCEEDED"}),
    ("flood.kv_ops", "1,000 kv.increment ops in one hook call", "LIMIT_EXCEEDED from op 101 on; the counter is 100", {"code": "LIMIT_EXCEEDED"}),
])
_add("host-call floods", "res", "test_deadline_stops_the_guest", [
    ("flood.uncounted_unknown_ops", "unknown ops in a loop (refused before the budget)", "DEADLINE_EXCEEDED: the deadline bounds what the budget does not count", _DL),
    ("flood.uncounted_stream_ops", "stream.read in a loop (stream ops are not counted)", "DEADLINE_EXCEEDED", _DL),
])

# -- clock and random ---------------------------------------------------------------------
_add("clock and random", "fs", "test_clock_is_what_the_policy_grants", [
    ("clock.now", "time.time, time.monotonic, the clocks' resolution", "the host's wall time at the granted precision (default coarse: 1 ms)"),
])
_add("clock and random", "fs", "test_randomness_differs_between_instances", [
    ("random.sources", "os.urandom, random.random on two instances", "different values on each instance (not baked into the snapshot)"),
])

# -- SDK internals ------------------------------------------------------------------------
_add("SDK internals", "abi", "test_patched_binding_fools_only_the_guest", [
    ("sdk.patched_binding", "replace wit_world's host.call and the SDK's bound host call with a forger", "the guest sees its forged app; the host received no op"),
])
_add("SDK internals", "abi", "test_op_answer_code", [
    ("sdk.spoofed_runtime", "set the SDK's runtime to studio and call Studio()", "WRONG_RUNTIME from the host (the host's runtime counts)", {"code": "WRONG_RUNTIME"}),
])
_add("SDK internals", "abi", "test_forged_answer_is_refused", [
    ("sdk.forged_answer_garbage", "the export answers text that is not an envelope", "MALFORMED_ENVELOPE; fail-closed answer", {"attempt": "sdk.arm_forged_answer", "code": "MALFORMED_ENVELOPE", "params": (("x-forge", "garbage"),)}),
    ("sdk.forged_answer_not_object", "the export answers ok: [1, 2, 3]", "BAD_RETURN; fail-closed answer", {"attempt": "sdk.arm_forged_answer", "code": "BAD_RETURN", "params": (("x-forge", "not_object"),)}),
    ("sdk.forged_answer_wrong_version", "the export answers \"v\": 2", "ABI_VERSION_MISMATCH; fail-closed answer", {"attempt": "sdk.arm_forged_answer", "code": "ABI_VERSION_MISMATCH", "params": (("x-forge", "wrong_version"),)}),
    ("sdk.forged_answer_nested", "the export answers ok: 100,000 nested arrays", "MALFORMED_ENVELOPE; fail-closed answer", {"attempt": "sdk.arm_forged_answer", "code": "MALFORMED_ENVELOPE", "params": (("x-forge", "nested"),)}),
])
_add("SDK internals", "abi", "test_forged_host_code_is_not_acted_on", [
    ("sdk.forged_host_code", "the export answers err DEADLINE_EXCEEDED (a host-only code)", "reported as PLUGIN_RAISED naming the forged code; no instance is replaced, no deadline counted", {"attempt": "sdk.arm_forged_answer", "code": "PLUGIN_RAISED", "params": (("x-forge", "host_code"),)}),
])
_add("SDK internals", "abi", "test_forged_instance_start_fails_the_replacement_only", [
    ("sdk.forged_instance_start", "new instances answer instance_start with a non-integer hook", "the trapping call still gets SANDBOX_BROKEN; the failed replacement only shrinks the pool", {"attempt": "sdk.arm_forged_instance_start", "code": "SANDBOX_BROKEN"}),
])
_add("SDK internals", "net", "test_hostile_exception_str", [
    ("exit.hostile_str", "raise an exception whose __str__ raises", "INTERNAL ('the guest failed while answering'); same instance serves on", {"code": "INTERNAL"}),
])
_add("SDK internals", "res", "test_deadline_stops_the_guest", [
    ("cpu.hostile_str", "raise an exception whose __str__ never returns", "DEADLINE_EXCEEDED (the SDK formats it inside the deadline)", _DL),
])

# -- build time -------------------------------------------------------------------------
# attacker_fs_env's module-level code runs while componentize-py pre-initialises the
# component (inside its own wasm sandbox); what it found is kept in the snapshot.
_add("build time", "fs", "test_build_time_code_is_sandboxed", [
    ("build.read_host_file", "read /etc/passwd while the component is built", "FileNotFoundError", {"attempt": "build.report", **_FNF}),
    ("build.environment", "read os.environ while the component is built", "only componentize-py's PYTHONHOME/PYTHONPATH/PYTHONUNBUFFERED, none of the host's variables", {"attempt": "build.report"}),
    ("build.network", "TCP connect to 127.0.0.1 while the component is built", "PermissionError", {"attempt": "build.report", **_PERM}),
    ("build.leave_mount", "list the parent of the build's plugin copy", "PermissionError: the mount cannot be left", {"attempt": "build.report", "raises": "PermissionError"}),
    ("build.write_copy", "write a file next to its own module while being built", "lands in the build's temporary copy: the plugin's source directory is unchanged", {"attempt": "build.report"}),
])

MECHANISMS: tuple[Mechanism, ...] = tuple(_M)
BY_ID: dict[str, Mechanism] = {m.id: m for m in MECHANISMS}


# -- use from tests ----------------------------------------------------------------------
def for_test(name: str) -> list[Mechanism]:
    return [m for m in MECHANISMS if m.test == name]


def catalogued(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Parametrize test ``fn`` with argument ``mech`` over the mechanisms naming it.

    A mechanism with a ``bug`` is marked ``xfail(strict=True)`` with the bug as reason.
    """
    import pytest

    mechanisms = for_test(fn.__name__)
    if not mechanisms:
        raise LookupError(f"no mechanism in the catalogue names test {fn.__name__}")
    params = [pytest.param(m, id=m.id, marks=[pytest.mark.xfail(strict=True, reason=m.bug)] if m.bug else [])
              for m in mechanisms]
    fn._catalogued = True  # type: ignore[attr-defined]
    return pytest.mark.parametrize("mech", params)(fn)


# -- the README table --------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _module_of(test: str) -> str:
    """The test module defining ``test`` (found in the source, without importing)."""
    for path in sorted(HERE.glob("test_sec_*.py")):
        if f"\ndef {test}(" in path.read_text(encoding="utf-8"):
            return path.name
    return "?"


def table_markdown() -> str:
    """The README section: counts per category, then one table row per mechanism."""
    counts = Counter(m.category for m in MECHANISMS)
    lines = [BEGIN, "",
             f"{len(MECHANISMS)} distinct mechanisms in {len(CATEGORIES)} categories "
             f"({sum(1 for m in MECHANISMS if m.bug)} expose a known bug and are "
             "`xfail(strict=True)`).", "",
             "| Category | Mechanisms |", "|---|---|"]
    lines += [f"| {c} | {counts[c]} |" for c in CATEGORIES]
    lines += [f"| **total** | **{len(MECHANISMS)}** |", ""]
    for category in CATEGORIES:
        lines += [f"### {category} ({counts[category]})", "",
                  "| Mechanism | What the plugin tries | Test | Expected outcome |", "|---|---|---|---|"]
        for m in MECHANISMS:
            if m.category != category:
                continue
            expect = m.expect + (" **(xfail: known bug)**" if m.bug else "")
            test = f"{_module_of(m.test)}::{m.test}[{m.id}]"
            lines.append(f"| `{m.id}` | {_cell(m.tries)} | `{test}` | {_cell(expect)} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def readme_with_table(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + table_markdown() + text[end:]


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    updated = readme_with_table(text)
    if "--write" in argv:
        README.write_text(updated, encoding="utf-8")
        print(f"wrote {README} ({len(MECHANISMS)} mechanisms)")
        return 0
    if updated != text:
        print("README.md's catalogue table is stale: run with --write", file=sys.stderr)
        return 1
    print(f"README.md is current ({len(MECHANISMS)} mechanisms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
