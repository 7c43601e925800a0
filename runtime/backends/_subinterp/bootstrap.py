"""What each subinterpreter runs first (its source is executed there, never imported
by the host).

The host defines two names before this code runs: ``_setup_text`` (JSON: sys.path,
the plugin's source, the switch interval and the sleep slice) and ``_host_call(op,
payload) -> answer`` (the host import). It leaves ``dispatch(cmd, arg, text) -> str``
and ``HookDeadline`` (the exception a deadline injects) for the host.

Answers that are not envelopes start with ``\\x01``: ``\\x01D`` (the deadline exception
ended the call) and ``\\x01E<message>`` (a command failed).
"""

import importlib
import json
import sys
import time
import types
from typing import Any, Callable

_setup: dict[str, Any] = json.loads(_setup_text)  # type: ignore[name-defined]  # noqa: F821
_host: Callable[[int, str], str] = _host_call  # type: ignore[name-defined]  # noqa: F821

for _p in reversed(_setup["sys_path"]):
    if _p not in sys.path:
        sys.path.insert(0, _p)
if _setup.get("switch_interval"):
    sys.setswitchinterval(float(_setup["switch_interval"]))

CMD_HANDLE, CMD_NEW, CMD_DROP, CMD_PING, CMD_FINI = 0, 1, 2, 3, 4


class HookDeadline(BaseException):
    """Raised inside a hook that overran its deadline (injected by the host)."""


class LoadFailure(Exception):
    """The plugin could not be imported; the message is the host's error text."""


# time.sleep wakes every slice, so an injected deadline lands during a long sleep.
_real_sleep = time.sleep
_slice = float(_setup.get("sleep_slice_s", 0.002))


#: The pure-Python driver's wait: sleeps up to t seconds, True when the host cancelled.
_deadline_wait: "Callable[[float], bool] | None" = globals().get("_deadline_wait")


def _sleep(seconds: float) -> None:
    if not isinstance(seconds, (int, float)) or seconds != seconds or \
            (seconds <= _slice and _deadline_wait is None):
        _real_sleep(seconds)
        return
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        if _deadline_wait is not None:
            if _deadline_wait(left):
                raise HookDeadline()
        else:
            _real_sleep(min(left, _slice))


time.sleep = _sleep  # type: ignore[assignment]

_guest = importlib.import_module(_setup["guest_module"])
_guest.install_output_capture()


def _import_factory() -> Callable[[], Any]:
    root_name = "_plugins"
    root = sys.modules.get(root_name)
    if root is None:
        root = types.ModuleType(root_name)
        root.__path__ = []
        sys.modules[root_name] = root
    identity = str(_setup["identity"])
    pkg_name = f"{root_name}.{identity.replace('-', '_').replace('.', '_')}"
    pkg = types.ModuleType(pkg_name)
    pkg.__path__ = [_setup["directory"]]
    pkg.__file__ = None
    sys.modules[pkg_name] = pkg
    entry = _setup["entry_module"]
    try:
        module = importlib.import_module(f"{pkg_name}.{entry}")
    except Exception as exc:
        raise LoadFailure(f"importing {entry} from {_setup['directory']} failed: "
                          f"{type(exc).__name__}: {exc}") from None
    factory = getattr(module, _setup["entry_factory"], None)
    if not callable(factory):
        raise LoadFailure(f"{entry}.{_setup['entry_factory']} is not a callable factory")
    return factory  # type: ignore[no-any-return]


_factory = _import_factory()
_instance: Any = None


def _forget_main_thread() -> None:
    """Run by the thread about to destroy this interpreter. On 3.11/3.12, ending an
    interpreter joins the ``threading`` module's main thread: the thread that first
    imported ``threading`` here (a plugin import, on whatever thread made the
    interpreter). From any other thread that join never returns; drop it (the
    interpreter runs no threads of its own)."""
    t = sys.modules.get("threading")
    if t is None:
        return
    main = getattr(t, "_main_thread", None)
    locks = getattr(t, "_shutdown_locks", None)
    if main is None or locks is None or main.ident == t.get_ident():
        return
    with t._shutdown_locks_lock:
        locks.discard(getattr(main, "_tstate_lock", None))


def dispatch(cmd: int, arg: int, text: str) -> str:
    global _instance
    try:
        if cmd == CMD_HANDLE:
            inst = _instance
            if inst is None:
                return "\x01Eno plugin instance in this interpreter"
            return inst.handle(arg, text)  # type: ignore[no-any-return]
        if cmd == CMD_NEW:
            try:
                _instance = _guest.create_instance(_factory, _host)
            except Exception as exc:
                return f"\x01E{type(exc).__name__}: {exc}"
            return ""
        if cmd == CMD_DROP:
            _instance = None
            return ""
        if cmd == CMD_PING:
            return text
        if cmd == CMD_FINI:
            _forget_main_thread()
            return ""
        return f"\x01Eunknown command {cmd}"
    except HookDeadline:
        return "\x01D"
