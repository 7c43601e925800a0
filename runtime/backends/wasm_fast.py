"""The fast host <-> guest boundary of the wasm tier: typed calls on wasmtime's C API.

wasmtime-py's stock component ``Func.__call__`` reads the function's type on every
call and converts each value through generic, reflective code; its host imports do the
same in reverse. The ABI has exactly three functions, all of fixed type (``host_abi/wit``)::

    export abi-version: func() -> u32;
    export handle: func(hook: u32, payload: string) -> string;
    import call: func(op: u32, payload: string) -> string;

so this module calls ``wasmtime_component_func_call`` directly with argument and
result slots laid out once per instance, and registers ``call`` with
``wasmtime_component_linker_instance_add_func`` behind a typed trampoline. Two
implementations of the same contract exist, one over ``cffi`` (ABI mode, no compiler
needed) and one over ``ctypes``; :func:`fast_boundary` picks the fastest one available
(cffi when installed), ``GPS_WASM_FFI=ctypes|cffi`` or ``fast_boundary("ctypes")``
chooses one explicitly.

Memory ownership, as wasmtime's C API (v50) defines it and as this module follows it:

* ``wasmtime_component_func_call`` only *borrows* the argument values (it copies them
  into Rust values), so the payload's UTF-8 bytes are passed in place from the Python
  ``bytes`` object, with no copy into a wasmtime-allocated vector and nothing to free.
* It writes *owned* result values into the result slots: the ``string`` result is a
  wasmtime-allocated byte vector that the caller must free (``wasm_byte_vec_delete``),
  or every call leaks the answer's size. Writing a result drops the value the slot held
  before, so a slot must always hold a valid value (it is reset to an empty ``bool``
  after each read).
* In a host import, the arguments belong to wasmtime (they are dropped after the
  callback returns: never free them); the result slot is dropped by wasmtime too, so
  the answer must be a vector wasmtime allocated (``wasm_byte_vec_new``), never a
  pointer into Python memory.
* wasmtime turns a string argument that is not valid UTF-8 into a Rust panic, which
  aborts the whole host process: ``bytes`` payloads are checked here before the call
  (``str`` payloads are valid by construction, or ``encode`` raises first).
* ``post_return``: since wasmtime 42 (``Func::post_return`` deprecated) the guest's
  post-return function (which frees the guest-side copy of the answer) runs inside the
  call itself, and ``wasmtime_component_func_post_return`` does nothing. It is not
  called here; :data:`POST_RETURN` turns it on for older wasmtime versions.

Traps raise what the stock path raises (``WasmtimeError``, or ``ExitTrap`` for a WASI
exit, built from the same error pointer), so trap classification does not change. The
wasm call itself runs without the GIL (both ctypes and cffi release it around foreign
calls); a host import takes the GIL back for the duration of the trampoline.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import weakref
from typing import Any, Callable

from host_abi.envelope import encode_err
from host_abi.errors import ErrorCode

try:
    from wasmtime import WasmtimeError
    from wasmtime import _ffi as _wt
except ImportError:  # pragma: no cover - the 'wasm' extra is not installed
    _wt = None  # type: ignore[assignment]

try:  # the stock path re-raises a Python exception a stock host function stored here
    from wasmtime.component._enter import maybe_raise_last_exn as _maybe_raise_last_exn
except ImportError:  # pragma: no cover - wasmtime-py internals moved
    def _maybe_raise_last_exn() -> None:
        return None

try:
    import cffi as _cffi_mod
except ImportError:  # pragma: no cover - cffi is optional
    _cffi_mod = None  # type: ignore[assignment]

__all__ = ["FastBoundary", "CtypesBoundary", "CffiBoundary", "HandleCaller", "U32Caller", "Dispatch",
           "fast_boundary", "resolve_boundary", "available_ffis", "BOUNDARIES", "BOUNDARY_ENV",
           "FFI_ENV", "POST_RETURN"]

log = logging.getLogger("runtime.backends.wasm_fast")

#: Environment variable that picks the wasm tier's boundary when the backend is not told:
#: one of :data:`BOUNDARIES`.
BOUNDARY_ENV = "GPS_WASM_BOUNDARY"
#: ``fast`` (the default: the fastest FFI available), ``stock`` (wasmtime-py's own
#: component API), or the fast boundary over one named FFI: ``cffi`` or ``ctypes``.
BOUNDARIES = ("fast", "stock", "cffi", "ctypes")
#: Environment variable that picks the FFI of the ``fast`` boundary: ``cffi`` or ``ctypes``.
FFI_ENV = "GPS_WASM_FFI"
#: Call ``post_return`` after each export call (a no-op on wasmtime >= 42; see above).
#: Read when a caller is built.
POST_RETURN = False

#: The host import as the trampoline sees it: ``dispatch(op, payload) -> envelope``.
Dispatch = Callable[[int, str], str]
#: ``caller(store, hook, payload) -> answer``; ``store`` is ignored (the caller is bound
#: to the store it was built for) and kept only for the stock caller's signature.
HandleCaller = Callable[[Any, int, "str | bytes"], str]
U32Caller = Callable[[Any], int]

# Component value kinds (wasmtime_component_valkind_t) used by the ABI.
_KIND_BOOL = 0
_KIND_U32 = 6
_KIND_STRING = 12
#: Last-resort answer when even encoding an error envelope fails.
_FALLBACK_ANSWER = b'{"v":1,"err":{"code":"INTERNAL","message":"the host failed"}}'
_VAL_SIZE = 32  # sizeof(wasmtime_component_val_t); checked against wasmtime-py at import
_UNION_OFFSET = 8  # offsetof(wasmtime_component_val_t, of)
#: The two arguments of ``call`` as 64-bit words (little-endian): the kinds in the low
#: byte of words 0 and 4, the u32 ``op`` in the low half of word 1, the payload's
#: size and data pointer in words 5 and 6.
_IMPORT_WORDS = 7


def _check_layout() -> None:
    val = _wt.wasmtime_component_val_t
    if ctypes.sizeof(val) != _VAL_SIZE or val.of.offset != _UNION_OFFSET:
        raise ImportError("wasmtime_component_val_t has an unexpected layout in this wasmtime-py")
    if (_wt.WASMTIME_COMPONENT_STRING.value, _wt.WASMTIME_COMPONENT_U32.value) != (_KIND_STRING, _KIND_U32):
        raise ImportError("wasmtime's component value kinds changed")


def _raise_wasm_error(address: int) -> None:
    """Raise the exception the stock path raises for a call that returned this error."""
    error = WasmtimeError._from_ptr(ctypes.cast(address, ctypes.POINTER(_wt.wasmtime_error_t)))
    _maybe_raise_last_exn()
    raise error


def _utf8(payload: "str | bytes") -> bytes:
    """The payload as UTF-8 bytes that wasmtime accepts (invalid UTF-8 would abort the host)."""
    if payload.__class__ is str:
        return payload.encode()  # type: ignore[union-attr]  # raises on lone surrogates
    if payload.__class__ is bytes:
        if not payload.isascii():  # type: ignore[union-attr]
            payload.decode("utf-8")  # type: ignore[union-attr]  # raises UnicodeDecodeError
        return payload  # type: ignore[return-value]
    raise TypeError(f"expected a str or bytes payload, not {type(payload).__name__}")


def _utf8_decoder() -> Any:
    """``PyUnicode_DecodeUTF8(address, size, errors)``: one step from C bytes to a str.

    A private prototype over ``ctypes.pythonapi``, which keeps the GIL as the C API needs.
    """
    decode = ctypes.pythonapi["PyUnicode_DecodeUTF8"]
    decode.restype = ctypes.py_object
    decode.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_char_p]
    return decode


#: (what, key) pairs whose signature was checked once: ``key`` is the caller's token for
#: "same component", so later instances skip the ~12 µs type walk.
_CHECKED: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()
_CHECKED_LOCK = threading.Lock()


def _check_signature(func: Any, store: Any, params: tuple[str, ...], result: str,
                     key: Any = None) -> None:
    """Refuse a function whose type is not the one the typed caller assumes.

    ``key`` (e.g. the ``Component``) marks functions known to share one type: checked once.
    """
    what = f"{params}->{result}"
    if key is not None:
        with _CHECKED_LOCK:
            if what in _CHECKED.get(key, ()):
                return
    fty = func.type(store)
    got_params = tuple(type(ty).__name__ for _name, ty in fty.params)
    got_result = type(fty.result).__name__ if fty.result is not None else "None"
    if got_params != params or got_result != result:
        raise TypeError(f"expected func({', '.join(params)}) -> {result}, got "
                        f"func({', '.join(got_params)}) -> {got_result}")
    if key is not None:
        with _CHECKED_LOCK:
            _CHECKED.setdefault(key, set()).add(what)


def _answer_bytes(dispatch: Dispatch, op: int, payload: str) -> bytes:
    """The import's answer as UTF-8; never raises (an INTERNAL error envelope instead)."""
    try:
        return dispatch(op, payload).encode()
    except BaseException as exc:  # noqa: BLE001 - nothing may escape into wasmtime
        try:
            log.error("the host import failed while serving op %s: %s: %s", op, type(exc).__name__, exc)
            return encode_err(ErrorCode.INTERNAL,
                              f"the host failed: {type(exc).__name__}: {exc}").encode()
        except BaseException:  # noqa: BLE001
            return _FALLBACK_ANSWER


class _Keeper:
    """Keeps trampolines alive until wasmtime drops them (its finalizer callback)."""

    def __init__(self) -> None:
        self._items: dict[int, Any] = {}
        self._next = 1
        self._lock = threading.Lock()

    def add(self, item: Any) -> int:
        with self._lock:
            key = self._next
            self._next += 1
            self._items[key] = item
            return key

    def drop(self, key: int | None) -> None:
        with self._lock:
            self._items.pop(key or 0, None)


_KEEPER = _Keeper()


class FastBoundary:
    """The typed callers and the import trampoline over one FFI (``ffi``: its name)."""

    ffi = ""

    def handle_caller(self, func: Any, store: Any, key: Any = None) -> HandleCaller:
        """A caller of ``handle: func(u32, string) -> string`` bound to ``store``.

        The function's type is checked (TypeError if it differs), once per ``key`` when
        one is given (any weakly referenceable token, e.g. the instance's ``Component``).
        """
        raise NotImplementedError

    def u32_caller(self, func: Any, store: Any, key: Any = None) -> U32Caller:
        """A caller of a ``func() -> u32`` export (``abi-version``) bound to ``store``."""
        raise NotImplementedError

    def define_host_call(self, linker_instance: Any, name: str, dispatch: Dispatch) -> None:
        """Define ``name: func(u32, string) -> string`` in a wasmtime-py ``LinkerInstance``.

        ``dispatch(op, payload)`` answers each call; whatever it raises or returns that
        is not a ``str`` becomes an INTERNAL error envelope, never a trap.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<FastBoundary {self.ffi}>"


# --------------------------------------------------------------------------- ctypes


class _CtypesHandleArgs(ctypes.Structure):
    """``wasmtime_component_val_t[2]`` for (u32, string), the string borrowed from Python."""

    _fields_ = [("kind0", ctypes.c_uint8), ("_pad0", ctypes.c_uint8 * 7), ("u32", ctypes.c_uint32),
                ("_pad1", ctypes.c_uint8 * 20),
                ("kind1", ctypes.c_uint8), ("_pad2", ctypes.c_uint8 * 7), ("size", ctypes.c_size_t),
                ("data", ctypes.c_char_p), ("_pad3", ctypes.c_uint64)]


class _CtypesResult(ctypes.Structure):
    """One ``wasmtime_component_val_t`` result slot (a string or a u32)."""

    _fields_ = [("kind", ctypes.c_uint8), ("_pad0", ctypes.c_uint8 * 7), ("size", ctypes.c_size_t),
                ("data", ctypes.c_void_p), ("_pad1", ctypes.c_uint64)]


class _CtypesU32Result(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_uint8), ("_pad0", ctypes.c_uint8 * 7), ("u32", ctypes.c_uint32),
                ("_pad1", ctypes.c_uint8 * 20)]


def _ctypes_fn(name: str, restype: Any, *argtypes: Any) -> Any:
    # dll[name] makes a new function object: wasmtime-py's own prototypes stay untouched.
    fn = _wt.dll[name]
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


_CtypesTrampoline = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                     ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t)
_CtypesFinalizer = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


@_CtypesFinalizer
def _ctypes_finalize(key: int | None) -> None:
    try:
        _KEEPER.drop(key)
    except BaseException:  # noqa: BLE001 - may run at interpreter exit
        pass


class CtypesBoundary(FastBoundary):
    """The fast boundary over ctypes (always available)."""

    ffi = "ctypes"

    def __init__(self) -> None:
        if _wt is None:  # pragma: no cover
            raise ImportError("the fast boundary needs wasmtime")
        _check_layout()
        ctx_t = ctypes.POINTER(_wt.wasmtime_context_t)
        vp, size_t = ctypes.c_void_p, ctypes.c_size_t
        self._call = _ctypes_fn("wasmtime_component_func_call", vp, vp, ctx_t, vp, size_t, vp, size_t)
        self._post_return = _ctypes_fn("wasmtime_component_func_post_return", vp, vp, ctx_t)
        self._vec_delete = _ctypes_fn("wasm_byte_vec_delete", None, vp)
        self._vec_new = _ctypes_fn("wasm_byte_vec_new", None, vp, size_t, ctypes.c_char_p)
        self._error_new = _ctypes_fn("wasmtime_error_new", vp, ctypes.c_char_p)
        self._add_func = _ctypes_fn("wasmtime_component_linker_instance_add_func", vp, vp,
                                    ctypes.c_char_p, size_t, _CtypesTrampoline, vp, _CtypesFinalizer)
        self._decode = _utf8_decoder()

    def handle_caller(self, func: Any, store: Any, key: Any = None) -> HandleCaller:
        _check_signature(func, store, ("U32", "String"), "String", key)
        # (store id, index): a copy of the handle, laid out once with the argument and
        # result slots; the closure below only fills in the hook and the payload.
        handle = _wt.wasmtime_component_func_t.from_buffer_copy(func._func)
        args = _CtypesHandleArgs(kind0=_KIND_U32, kind1=_KIND_STRING)
        result = _CtypesResult(kind=_KIND_BOOL)
        fa, aa, ra = ctypes.addressof(handle), ctypes.addressof(args), ctypes.addressof(result)
        answer_at = ra + _UNION_OFFSET
        call, post_return, delete, decode = self._call, self._post_return, self._vec_delete, self._decode
        context = store._context  # raises ValueError once the store is closed
        utf8, raise_error, post = _utf8, _raise_wasm_error, POST_RETURN

        def caller(_store: Any, hook: int, payload: "str | bytes") -> str:
            data = payload.encode() if payload.__class__ is str else utf8(payload)
            args.u32 = hook
            args.size = len(data)
            args.data = data  # borrowed in place: wasmtime copies it during the call
            ctx = context()
            err = call(fa, ctx, aa, 2, ra, 1)  # the GIL is released for the call
            args.data = None  # let the payload go now, not at the next call
            if err:
                raise_error(err)
            if post:
                err = post_return(fa, ctx)
            try:
                answer: str = decode(result.data, result.size, None)
            finally:
                delete(answer_at)  # the answer vector is ours to free
                result.kind = _KIND_BOOL  # the slot must hold a value wasmtime may drop
            if post and err:
                raise_error(err)
            return answer

        caller._gps_keep = (handle, args, result)  # type: ignore[attr-defined]
        return caller

    def u32_caller(self, func: Any, store: Any, key: Any = None) -> U32Caller:
        _check_signature(func, store, (), "U32", key)
        handle = _wt.wasmtime_component_func_t.from_buffer_copy(func._func)
        result = _CtypesU32Result(kind=_KIND_BOOL)
        fa, ra = ctypes.addressof(handle), ctypes.addressof(result)
        call, post_return, context, post = self._call, self._post_return, store._context, POST_RETURN

        def caller(_store: Any = None) -> int:
            ctx = context()
            err = call(fa, ctx, None, 0, ra, 1)
            if err:
                _raise_wasm_error(err)
            if post:
                err = post_return(fa, ctx)
                if err:
                    _raise_wasm_error(err)
            return int(result.u32)

        caller._gps_keep = (handle, result)  # type: ignore[attr-defined]
        return caller

    def define_host_call(self, linker_instance: Any, name: str, dispatch: Dispatch) -> None:
        words_at = (ctypes.c_uint64 * _IMPORT_WORDS).from_address
        decode, vec_new, error_new = self._decode, self._vec_new, self._error_new
        memset = ctypes.memset
        answer_bytes = _answer_bytes

        def trampoline(_data: Any, _ctx: Any, _ty: Any, args: int, nargs: int, results: int,
                       nresults: int) -> int | None:
            try:
                if nargs != 2 or nresults != 1:
                    return error_new(b"gps: the host import was called with the wrong arity")
                words = words_at(args)
                if words[0] & 0xFF != _KIND_U32 or words[4] & 0xFF != _KIND_STRING:
                    return error_new(b"gps: the host import was called with the wrong types")
                out = answer_bytes(dispatch, words[1] & 0xFFFFFFFF, decode(words[6], words[5], None))
            except BaseException:  # noqa: BLE001 - nothing may escape into wasmtime
                out = _FALLBACK_ANSWER
            vec_new(results + _UNION_OFFSET, len(out), out)  # wasmtime owns and frees it
            memset(results, _KIND_STRING, 1)
            return None

        callback = _CtypesTrampoline(trampoline)
        key = _KEEPER.add(callback)
        encoded = name.encode()
        address = ctypes.cast(linker_instance.ptr(), ctypes.c_void_p).value
        err = self._add_func(address, encoded, len(encoded), callback, key, _ctypes_finalize)
        if err:
            _KEEPER.drop(key)
            _raise_wasm_error(err)


# --------------------------------------------------------------------------- cffi

_CDEF = """
typedef struct { size_t size; char *data; } gps_vec_t;
typedef struct {
    uint8_t kind;
    union { uint32_t u32; gps_vec_t string; uint64_t _pad[3]; } of;
} gps_val_t;
typedef void *(*gps_callback_t)(uintptr_t, uintptr_t, uintptr_t, uint64_t *, size_t,
                                uint64_t *, size_t);
typedef void (*gps_finalizer_t)(void *);
void *wasmtime_component_func_call(const void *func, void *context, gps_val_t *args,
                                   size_t nargs, gps_val_t *results, size_t nresults);
void *wasmtime_component_func_post_return(const void *func, void *context);
void wasm_byte_vec_delete(void *vec);
void wasm_byte_vec_new(void *out, size_t size, const char *data);
void *wasmtime_error_new(const char *message);
void *wasmtime_component_linker_instance_add_func(void *linker_instance, const char *name,
                                                  size_t name_len, gps_callback_t callback,
                                                  void *data, gps_finalizer_t finalizer);
"""


class CffiBoundary(FastBoundary):
    """The fast boundary over cffi in ABI mode (no C compiler needed)."""

    ffi = "cffi"

    def __init__(self) -> None:
        if _wt is None or _cffi_mod is None:
            raise ImportError("the cffi boundary needs wasmtime and cffi")
        _check_layout()
        ffi = _cffi_mod.FFI()
        ffi.cdef(_CDEF)
        if ffi.sizeof("gps_val_t") != _VAL_SIZE or ffi.offsetof("gps_val_t", "of") != _UNION_OFFSET:
            raise ImportError("gps_val_t does not match wasmtime_component_val_t")
        self._ffi = ffi
        self._lib = ffi.dlopen(str(_wt.filename))  # the library wasmtime-py already loaded
        self._null = ffi.NULL

        @ffi.callback("gps_finalizer_t")
        def finalize(key: Any) -> None:
            try:
                _KEEPER.drop(int(ffi.cast("uintptr_t", key)))
            except BaseException:  # noqa: BLE001 - may run at interpreter exit
                pass

        self._finalize = finalize

    def _address(self, cdata: Any) -> int:
        return int(self._ffi.cast("uintptr_t", cdata))

    def _ctx(self, store: Any) -> Any:
        """The store's context as cdata (stable for the store's lifetime)."""
        return self._ffi.cast("void *", ctypes.cast(store._context(), ctypes.c_void_p).value)

    def _func_copy(self, func: Any) -> Any:
        """An aligned copy of the (store id, index) function handle."""
        raw = bytes(func._func)
        copy = self._ffi.new("uint64_t[]", (len(raw) + 7) // 8)
        self._ffi.memmove(copy, raw, len(raw))
        return copy

    def handle_caller(self, func: Any, store: Any, key: Any = None) -> HandleCaller:
        _check_signature(func, store, ("U32", "String"), "String", key)
        ffi, lib = self._ffi, self._lib
        handle = self._func_copy(func)
        args = ffi.new("gps_val_t[2]")
        args[0].kind, args[1].kind = _KIND_U32, _KIND_STRING
        hook_slot, text = args[0].of, args[1].of.string
        result = ffi.new("gps_val_t[1]")
        slot = result[0]
        answer_vec = ffi.addressof(slot.of, "string")
        ctx_cdata = self._ctx(store)
        call, post_return = lib.wasmtime_component_func_call, lib.wasmtime_component_func_post_return
        delete, from_buffer, buffer, null = lib.wasm_byte_vec_delete, ffi.from_buffer, ffi.buffer, ffi.NULL
        context = store._context  # raises ValueError once the store is closed
        utf8, address, raise_error, post = _utf8, self._address, _raise_wasm_error, POST_RETURN

        def caller(_store: Any, hook: int, payload: "str | bytes") -> str:
            data = payload.encode() if payload.__class__ is str else utf8(payload)
            hook_slot.u32 = hook
            text.size = len(data)
            text.data = borrowed = from_buffer(data)  # in place: wasmtime copies it during the call
            context()
            err = call(handle, ctx_cdata, args, 2, result, 1)  # the GIL is released for the call
            del borrowed
            if err != null:
                raise_error(address(err))
            if post:
                err = post_return(handle, ctx_cdata)
            try:
                size = answer_vec.size
                answer = str(buffer(answer_vec.data, size), "utf-8") if size else ""
            finally:
                delete(answer_vec)  # the answer vector is ours to free
                slot.kind = _KIND_BOOL  # the slot must hold a value wasmtime may drop
            if post and err != null:
                raise_error(address(err))
            return answer

        caller._gps_keep = (handle, args, result)  # type: ignore[attr-defined]
        return caller

    def u32_caller(self, func: Any, store: Any, key: Any = None) -> U32Caller:
        _check_signature(func, store, (), "U32", key)
        ffi, lib = self._ffi, self._lib
        handle = self._func_copy(func)
        result = ffi.new("gps_val_t[1]")
        slot = result[0]
        ctx_cdata = self._ctx(store)
        call, post_return, null = lib.wasmtime_component_func_call, lib.wasmtime_component_func_post_return, ffi.NULL
        context, address, post = store._context, self._address, POST_RETURN

        def caller(_store: Any = None) -> int:
            context()
            err = call(handle, ctx_cdata, null, 0, result, 1)
            if err != null:
                _raise_wasm_error(address(err))
            if post:
                err = post_return(handle, ctx_cdata)
                if err != null:
                    _raise_wasm_error(address(err))
            return int(slot.of.u32)

        caller._gps_keep = (handle, result)  # type: ignore[attr-defined]
        return caller

    def define_host_call(self, linker_instance: Any, name: str, dispatch: Dispatch) -> None:
        ffi, lib = self._ffi, self._lib
        vec_new, error_new = lib.wasm_byte_vec_new, lib.wasmtime_error_new
        answer_bytes, decode, null = _answer_bytes, _utf8_decoder(), ffi.NULL

        def trampoline(_data: int, _ctx: int, _ty: int, args: Any, nargs: int, results: Any,
                       nresults: int) -> Any:
            # ``args`` and ``results`` are read as 64-bit words: the values' kinds at words
            # 0 and 4, the u32 at word 1, the string's size and data at words 5 and 6.
            try:
                if nargs != 2 or nresults != 1:
                    return error_new(b"gps: the host import was called with the wrong arity")
                if args[0] & 0xFF != _KIND_U32 or args[4] & 0xFF != _KIND_STRING:
                    return error_new(b"gps: the host import was called with the wrong types")
                out = answer_bytes(dispatch, args[1] & 0xFFFFFFFF, decode(args[6], args[5], None))
            except BaseException:  # noqa: BLE001 - nothing may escape into wasmtime
                out = _FALLBACK_ANSWER
            vec_new(results + 1, len(out), out)  # wasmtime owns and frees it
            results[0] = _KIND_STRING
            return null

        callback = ffi.callback("gps_callback_t", trampoline)
        key = _KEEPER.add(callback)
        encoded = name.encode()
        li = ffi.cast("void *", ctypes.cast(linker_instance.ptr(), ctypes.c_void_p).value)
        err = lib.wasmtime_component_linker_instance_add_func(
            li, encoded, len(encoded), callback, ffi.cast("void *", key), self._finalize)
        if err != null:
            _KEEPER.drop(key)
            _raise_wasm_error(self._address(err))


# --------------------------------------------------------------------------- selection

_FACTORIES: dict[str, Callable[[], FastBoundary]] = {"cffi": CffiBoundary, "ctypes": CtypesBoundary}
_PREFERENCE = ("cffi", "ctypes")
_made: dict[str, FastBoundary] = {}
_made_lock = threading.Lock()


def available_ffis() -> tuple[str, ...]:
    """The FFIs the fast boundary can use here, fastest first."""
    out = []
    for name in _PREFERENCE:
        try:
            fast_boundary(name)
        except ImportError:
            continue
        out.append(name)
    return tuple(out)


def fast_boundary(ffi: str | None = None) -> FastBoundary:
    """The fast boundary over ``ffi`` (``cffi``, ``ctypes``, or None: ``$GPS_WASM_FFI``,
    else the fastest available). One object per FFI, shared by all backends.

    Raises:
        ImportError: the requested FFI (or wasmtime) is not installed.
        ValueError: ``ffi`` names no FFI.
    """
    name = ffi or os.environ.get(FFI_ENV) or None
    if name is None:
        for candidate in _PREFERENCE:
            try:
                return fast_boundary(candidate)
            except ImportError:
                continue
        raise ImportError("the fast boundary needs wasmtime")
    if name not in _FACTORIES:
        raise ValueError(f"unknown FFI {name!r} for the wasm boundary: choose from {sorted(_FACTORIES)}")
    with _made_lock:
        made = _made.get(name)
        if made is None:
            made = _made[name] = _FACTORIES[name]()
        return made


def resolve_boundary(boundary: str | None = None) -> FastBoundary | None:
    """The fast boundary to use, or None for the stock path.

    ``boundary`` is one of :data:`BOUNDARIES`; None reads ``$GPS_WASM_BOUNDARY``
    (default ``fast``). ``fast`` falls back to ctypes when cffi is missing, and to the
    stock path (with a warning) when wasmtime-py's C structures are not laid out as
    this module expects.

    Raises:
        ValueError: an unknown boundary name.
        ImportError: ``cffi`` or ``ctypes`` was named and cannot be used.
    """
    name = (boundary or os.environ.get(BOUNDARY_ENV) or "fast").strip().lower()
    if name not in BOUNDARIES:
        raise ValueError(f"unknown wasm boundary {name!r}: choose from {', '.join(BOUNDARIES)}")
    if name == "stock":
        return None
    if name != "fast":
        return fast_boundary(name)
    try:
        return fast_boundary()
    except ImportError as exc:
        try:
            return fast_boundary("ctypes")
        except ImportError:
            log.warning("the fast wasm boundary is unavailable (%s): using wasmtime-py's stock calls",
                        exc)
            return None
