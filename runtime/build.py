"""Build a plugin into a WebAssembly component for the wasm tier, and cache it.

A build assembles, in a temporary folder, everything the guest needs: copies of the
guest-side packages ``guest_sdk`` and ``host_abi`` (``.py`` files only), the plugin's
``.py`` files inside a private package ``_plugin`` (so its relative imports work as
on the in-process tier), and a generated app module whose ``Guest`` class is the
component's export. componentize-py then compiles CPython plus that folder into a
component, running the app module at build time inside its own pre-initialisation
(never in the host interpreter): the plugin module is imported and its factory
called there, so the plugin object is part of the snapshot every instance starts
from. ``initialize`` does not run at build time; configuration arrives at load time
through the ``initialize`` hook.

Two artifacts are cached under ``<cache>/<key>/``:

* ``plugin.wasm``, the component, keyed on every input (plugin files, SDK and ABI
  sources, the WIT, the generated app, tool versions). Builds are not
  byte-identical, so the key is over inputs, never over the output.
* ``<engine-tag>.cwasm``, wasmtime's compiled form (``Component.serialize()``), loaded
  later with ``Component.deserialize_file`` (mmap, ~1 ms) so a second start neither
  rebuilds nor recompiles. The tag changes with every engine setting that changes
  compiled code (:class:`EngineSettings`).

The cache root is the ``cache_dir`` argument, else ``$GPS_CACHE_DIR``, else
``$XDG_CACHE_HOME/gateway-plugin-sandbox/wasm`` (``~/.cache/...``). Files are written
atomically (temporary name, then rename), so concurrent builds of the same key are safe.

Third-party packages (``sandbox.requirements``, PEP 508 strings) are bundled when they
are pure Python. They are resolved by pip for the guest interpreter alone
(:data:`PURE_WHEEL_OPTIONS`: CPython :data:`GUEST_PYTHON_VERSION`, implementation
``py``, ABI ``none``, platform ``any``), so only pure-Python wheels (``py3-none-any``)
qualify, dependencies included; a package that publishes only native-extension
wheels or a source distribution fails the build with a :class:`LoadError` naming it.
The installed files sit next to ``guest_sdk`` in the component (``import <package>``
works as usual) and their top-level modules are imported at build time.

The resolution (name, version and sha256 of every wheel) is part of the cache key,
next to the requirement strings: a new upstream release changes the key, and so
triggers a rebuild, only when it changes what the requirements resolve to. It is
kept as a lock under ``<cache>/requirements/`` and reused for
:data:`REQUIREMENTS_MAX_AGE` seconds, then checked against the index again. The
trade-off: computing the key of a plugin with requirements needs network access to
the package index whenever that lock is missing (a cold cache) or stale; a stale lock
is still used, with a warning, when the index cannot be reached. The wheels are
installed with ``--require-hashes`` from the lock, so a build gets exactly the files
the key names.

Limits of this version: native extension modules (``.so``/``.pyd``/``.dylib``) cannot
run in the guest and fail the build, whether in the plugin directory or in a
requirement. Only modules imported at build time exist at run time in a
componentize-py guest, so the generated app also imports a fixed list of common
pure-Python stdlib modules (:data:`STDLIB_PRELOAD`) that plugins often import lazily
inside functions, and the top-level modules of the requirements; a submodule of a
requirement that nothing imports at build time is missing at run time, and a
requirement's data files can only be read at import time (the guest has no files).
Environment markers of requirements are evaluated by pip for the host interpreter.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from host_abi.errors import ErrorCode

from .errors import LoadError, TierUnavailable
from .manifest import Manifest, load_manifest

if TYPE_CHECKING:  # pragma: no cover
    from wasmtime import Config, Engine

__all__ = [
    "BuildResult", "EngineSettings", "build_plugin", "plugin_key", "default_cache_dir", "compile_component",
    "wit_names", "WitNames", "STDLIB_PRELOAD", "NATIVE_SUFFIXES", "APP_MODULE", "PLUGIN_PACKAGE",
    "GUEST_PYTHON_VERSION", "PURE_WHEEL_OPTIONS", "REQUIREMENTS_MAX_AGE", "LockedWheel",
    "resolve_requirements", "install_requirements",
]

log = logging.getLogger("runtime.build")

#: The generated app module's name (must differ from the world name and ``wit_world``).
APP_MODULE = "gps_guest_app"
#: The package the plugin's files are copied into inside the guest.
PLUGIN_PACKAGE = "_plugin"
#: File suffixes of native extension modules, which cannot run in the guest.
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")
#: Folders never copied from a plugin directory.
_SKIP_DIRS = {"__pycache__"}
#: Plugin files never copied: its tests (they import the host-side harness).
_SKIP_FILE = re.compile(r"^(test_.*|.*_test|conftest)\.py$")
#: File name of the component inside a cache entry.
WASM_NAME = "plugin.wasm"
#: Versions of the guest Python, bound to componentize-py's version.
_WORLD = "plugin"

#: Pure-Python stdlib modules imported at build time so a plugin may import them lazily
#: (inside a function) at run time: a componentize-py guest can only import modules
#: that were imported while it was pre-initialised. Modules that need what the sandbox
#: withholds (sockets, processes, threads, files) are deliberately absent.
STDLIB_PRELOAD = (
    "base64", "binascii", "bisect", "calendar", "collections", "collections.abc",
    "contextlib", "copy", "dataclasses", "datetime", "decimal", "enum", "fnmatch",
    "fractions", "functools", "hashlib", "heapq", "hmac", "html", "ipaddress", "itertools",
    "json", "math", "operator", "random", "re", "secrets", "statistics", "string", "struct",
    "textwrap", "time", "traceback", "typing", "unicodedata", "urllib.parse", "uuid", "zlib",
    "csv", "difflib", "logging", "pprint", "shlex",
    # imported lazily by the standard library itself: datetime.strptime and time.strptime
    # import _strptime; a codec is imported on its first lookup (json.loads of bytes
    # guesses UTF-16 and UTF-32; str.encode("idna"), bytes.decode("cp1252"), ...)
    "_strptime", "encodings.utf_16", "encodings.utf_16_le", "encodings.utf_16_be",
    "encodings.utf_32", "encodings.utf_32_le", "encodings.utf_32_be", "encodings.utf_8_sig",
    "encodings.idna", "encodings.punycode", "encodings.cp1252", "encodings.unicode_escape",
    "encodings.raw_unicode_escape", "encodings.hex_codec", "encodings.base64_codec",
)

#: The guest interpreter's version (the CPython componentize-py embeds): requirements are
#: resolved for it, not for the host.
GUEST_PYTHON_VERSION = "3.14"
#: pip options that admit pure-Python wheels only (tags like ``py3-none-any``), for the guest.
PURE_WHEEL_OPTIONS = ("--only-binary=:all:", "--no-compile", "--python-version", GUEST_PYTHON_VERSION,
                      "--implementation", "py", "--abi", "none", "--platform", "any")
#: Seconds a resolution of ``sandbox.requirements`` is reused before the index is asked again.
REQUIREMENTS_MAX_AGE = 24 * 3600
#: Module of the guest listing the requirements' top-level modules (imported at build time).
REQUIREMENTS_MODULE = "_gps_requirements"
#: Top-level names a requirement may not install: they are the component's own.
_RESERVED_TOP_LEVEL = {"guest_sdk", "host_abi", PLUGIN_PACKAGE, APP_MODULE, REQUIREMENTS_MODULE,
                       "wit_world"}  # and every name starting with "componentize_py"
_PIP_TIMEOUT_S = 600

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- engine settings


@dataclass(frozen=True)
class EngineSettings:
    """The wasmtime Engine settings of the wasm tier.

    Every field changes the compiled code, so every field is part of :meth:`tag`, the
    name of the ``.cwasm`` a compiled component is cached under.
    """

    #: Epoch interruption (deadlines). Costs ~18 % of guest compute; required.
    epoch_interruption: bool = True
    #: Virtual memory reserved per linear memory, in bytes (None: wasmtime's default,
    #: 4 GiB on 64-bit hosts, which lets wasmtime elide bounds checks; smaller values
    #: save address space, ~4 GiB per instance, at ~20 % slower guest memory access).
    memory_reservation: int | None = None
    #: Guard region after each linear memory, in bytes (None: wasmtime's default).
    memory_guard_size: int | None = None
    #: Cranelift optimisation level: "none", "speed" or "speed_and_size".
    cranelift_opt_level: str = "speed"

    def tag(self) -> str:
        """A short name for these settings plus wasmtime's version and the host CPU."""
        doc = {"wasmtime": _version("wasmtime"), "machine": platform.machine(),
               "system": platform.system(), **self.__dict__}
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]
        return f"engine-{digest}"

    def config(self) -> "Config":
        """A fresh ``wasmtime.Config`` with these settings (a Config is consumed by an Engine)."""
        from wasmtime import Config
        cfg = Config()
        cfg.epoch_interruption = self.epoch_interruption
        cfg.cranelift_opt_level = self.cranelift_opt_level
        if self.memory_reservation is not None:
            cfg.memory_reservation = self.memory_reservation
        if self.memory_guard_size is not None:
            cfg.memory_guard_size = self.memory_guard_size
        return cfg

    def engine(self) -> "Engine":
        from wasmtime import Engine
        return Engine(self.config())


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build_plugin` produced."""

    #: The component (componentize-py output).
    wasm_path: Path
    #: wasmtime's compiled form for the engine settings the build was asked for.
    cwasm_path: Path
    #: The cache key (sha256 hex over every input).
    key: str
    #: True when componentize-py did not run (the component came from the cache).
    cached: bool
    #: Wall time of the whole call.
    seconds: float
    #: True when this call compiled the component with wasmtime.
    compiled: bool = False
    #: Size of the component in bytes.
    wasm_size: int = 0
    #: Size of the compiled artifact in bytes.
    cwasm_size: int = 0
    #: The plugin's manifest id and version.
    plugin_id: str = ""
    plugin_version: str = ""
    #: The bundled requirements as resolved, ``name==version`` each (empty without any).
    wheels: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"wasm": str(self.wasm_path), "cwasm": str(self.cwasm_path), "key": self.key,
                "cached": self.cached, "compiled": self.compiled, "seconds": round(self.seconds, 3),
                "wasm_size": self.wasm_size, "cwasm_size": self.cwasm_size,
                "plugin_id": self.plugin_id, "plugin_version": self.plugin_version,
                "wheels": list(self.wheels)}


@dataclass(frozen=True)
class WitNames:
    """The names the WIT world gives the guest export and the host import."""

    package: str           # e.g. "gateway-plugin:abi@1.0.0"
    guest_interface: str   # e.g. "gateway-plugin:abi/guest@1.0.0"
    host_interface: str    # e.g. "gateway-plugin:abi/host@1.0.0"
    world: str = _WORLD


# --------------------------------------------------------------------------- locations


def _package_dir(name: str) -> Path:
    """Where a top-level package lives, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise LoadError(f"the package {name!r} is not installed; it is part of every wasm build")
    return Path(list(spec.submodule_search_locations)[0])


def _wit_dir() -> Path:
    return _package_dir("host_abi") / "wit"


def wit_names(wit_dir: Path | None = None) -> WitNames:
    """Read the package name from the WIT files and derive the interface names."""
    wit_dir = wit_dir or _wit_dir()
    for path in sorted(wit_dir.glob("*.wit")):
        m = re.search(r"^\s*package\s+([a-z0-9-]+):([a-z0-9-]+)(@[0-9][^;\s]*)?\s*;",
                      path.read_text(encoding="utf-8"), re.M)
        if m:
            ns, name, ver = m.group(1), m.group(2), m.group(3) or ""
            return WitNames(f"{ns}:{name}{ver}", f"{ns}:{name}/guest{ver}", f"{ns}:{name}/host{ver}")
    raise LoadError(f"no WIT package declaration found in {wit_dir}")


def default_cache_dir() -> Path:
    """``$GPS_CACHE_DIR``, else ``$XDG_CACHE_HOME/gateway-plugin-sandbox/wasm`` (``~/.cache``)."""
    env = os.environ.get("GPS_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gateway-plugin-sandbox" / "wasm"


@functools.lru_cache(maxsize=None)
def _version(dist: str) -> str:
    """An installed distribution's version (read once per process: a load must not pay
    for parsing package metadata)."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not-installed"


# --------------------------------------------------------------------------- inputs


def _walk(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def _py_files(root: Path) -> list[tuple[str, bytes]]:
    return [(p.relative_to(root).as_posix(), p.read_bytes()) for p in _walk(root) if p.suffix == ".py"]


#: The SDK's and the ABI's files by package directory, with the stat signature they were read at.
_PACKAGE_FILES: dict[Path, tuple[tuple[tuple[str, int, int], ...], list[tuple[str, bytes]]]] = {}


def _package_py_files(root: Path) -> list[tuple[str, bytes]]:
    """``_py_files`` of a package of this project, read again only when a file changed
    (its stat signature: names, sizes, modification times), so every load does not
    re-read the guest SDK."""
    paths = [p for p in _walk(root) if p.suffix == ".py"]
    stats = [p.stat() for p in paths]
    signature = tuple((p.as_posix(), st.st_size, st.st_mtime_ns) for p, st in zip(paths, stats))
    memo = _PACKAGE_FILES.get(root)
    if memo is not None and memo[0] == signature:
        return memo[1]
    files = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in paths]
    _PACKAGE_FILES[root] = (signature, files)
    return files


def _plugin_files(plugin_dir: Path, plugin_id: str) -> list[tuple[str, bytes]]:
    natives = [p for p in _walk(plugin_dir) if p.name.endswith(NATIVE_SUFFIXES)
               or ".so." in p.name]
    if natives:
        names = ", ".join(p.relative_to(plugin_dir).as_posix() for p in natives)
        raise LoadError(f"{plugin_dir}: native extension modules cannot run in the wasm sandbox: "
                        f"{names} (only pure-Python code can be built)", code=ErrorCode.LOAD_FAILED,
                        plugin=plugin_id)
    return [(rel, data) for rel, data in _py_files(plugin_dir) if not _SKIP_FILE.match(rel.rsplit("/", 1)[-1])]


def generate_app(entry_module: str, entry_factory: str, plugin_id: str, *,
                 requirements: bool = False) -> str:
    """The source of the componentize-py app module for one plugin.

    With ``requirements``, the app also imports the top-level modules that the generated
    module :data:`REQUIREMENTS_MODULE` lists (the bundled packages), before the plugin.
    """
    source = _APP_TEMPLATE.format(
        plugin_id=json.dumps(plugin_id), entry_module=json.dumps(entry_module),
        entry_factory=json.dumps(entry_factory), package=json.dumps(PLUGIN_PACKAGE),
        preload=repr(STDLIB_PRELOAD))
    if requirements:
        marker = "# The plugin's files live in a private package"
        source = source.replace(marker, _REQUIREMENTS_PRELOAD.format(
            module=REQUIREMENTS_MODULE) + marker, 1)
    return source


_REQUIREMENTS_PRELOAD = """\
# The bundled requirements (sandbox.requirements): their top-level modules are imported
# now, so that a plugin importing one lazily finds it at run time.
from {module} import MODULES as _REQUIREMENT_MODULES

for _name in _REQUIREMENT_MODULES:
    try:
        importlib.import_module(_name)
    except Exception:  # the plugin's own import reports it, with the plugin's traceback
        pass

"""


_APP_TEMPLATE = '''\
"""Generated by runtime.build: the componentize-py app of plugin {plugin_id}.

componentize-py runs this module at build time while it pre-initialises the guest
interpreter: the plugin is imported and its factory called here, so every instance
starts from a snapshot that already holds the plugin object.
"""

import importlib
import os
import sys
import types

from wit_world import exports
from wit_world.imports import host

import host_abi
from host_abi.envelope import encode_err
from host_abi.errors import ErrorCode
from guest_sdk import _guest

for _name in {preload}:
    try:
        importlib.import_module(_name)
    except Exception:  # a module this guest lacks: plugins importing it fail as they would anyway
        pass

# The plugin's files live in a private package, as on the in-process tier (whose
# package is created the same way, so the plugin's own __init__.py is not run).
_pkg = types.ModuleType({package})
_pkg.__path__ = [os.path.join(os.path.dirname(os.path.abspath(__file__)), {package})]
_pkg.__file__ = None
sys.modules[{package}] = _pkg
_module = importlib.import_module({package} + "." + {entry_module})
_factory = getattr(_module, {entry_factory}, None)
if not callable(_factory):
    raise TypeError({entry_module} + "." + {entry_factory} + " is not a callable factory")

# The plugin's source files do not exist inside the running guest: keep their lines in
# linecache (an entry whose mtime is None is never re-checked), so tracebacks show them.
import linecache

for _m in list(sys.modules.values()):
    _f = getattr(_m, "__file__", None)
    if isinstance(_f, str) and _f.startswith(_pkg.__path__[0]):
        try:
            with open(_f, encoding="utf-8") as _fh:
                _lines = _fh.readlines()
            linecache.cache[_f] = (sum(map(len, _lines)), None, _lines, _f)
        except (OSError, UnicodeDecodeError):
            pass

_guest.install_output_capture()
_INSTANCE = _guest.create_instance(_factory, host.call)

# Warm the error path at build time (traceback formatting imports lazily).
try:
    raise RuntimeError("warm-up")
except RuntimeError as _exc:
    _guest._format_traceback(_exc)

_MEMORY_ANSWER = '{{"v":1,"err":{{"code":"MEMORY_EXCEEDED","message":"the guest ran out of memory"}}}}'
_INTERNAL_ANSWER = '{{"v":1,"err":{{"code":"INTERNAL","message":"the guest failed while answering"}}}}'


class Guest(exports.Guest):
    """The export ``guest``: one plugin instance per component instance."""

    def abi_version(self) -> int:
        return host_abi.ABI_VERSION

    def handle(self, hook: int, payload: str) -> str:
        # An exception escaping an export traps and poisons the instance: never let one out.
        try:
            return _INSTANCE.handle(hook, payload)
        except MemoryError:
            return _MEMORY_ANSWER
        except BaseException as exc:
            try:
                return encode_err(ErrorCode.INTERNAL, "the guest SDK failed: "
                                  + type(exc).__name__ + ": " + str(exc))
            except BaseException:
                return _INTERNAL_ANSWER
'''


def _cache_key(parts: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for label, data in parts:
        h.update(label.encode("utf-8"))
        h.update(b"\0")
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


# --------------------------------------------------------------------------- requirements


@dataclass(frozen=True)
class LockedWheel:
    """One pure-Python wheel a requirement list resolved to."""

    name: str
    version: str
    sha256: str
    #: The wheel's file name (its tags say it is pure Python).
    filename: str

    def pin(self) -> str:
        return f"{self.name}=={self.version}"


_WHEEL_NAME = re.compile(r"^(?P<dist>[^-]+)-(?P<ver>[^-]+)(-\d[^-]*)?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$")
_NETWORK_SIGNS = ("Could not fetch URL", "Failed to establish a new connection", "Network is unreachable",
                  "Temporary failure in name resolution", "Name or service not known",
                  "Max retries exceeded", "Connection refused", "ConnectTimeoutError", "ReadTimeoutError",
                  "No address associated with hostname", "SSLError", "ProxyError")


def _requirement_list(manifest: Manifest) -> list[str]:
    """``sandbox.requirements``, checked: PEP 508 strings, never pip options."""
    raw = manifest.raw.get("sandbox", {}).get("requirements", []) or []
    requirements: list[str] = []
    for item in raw:
        text = item.strip() if isinstance(item, str) else ""
        if not text or text.startswith("-") or "\n" in text:
            raise LoadError(f"{manifest.path}: sandbox.requirements: {item!r} is not a requirement "
                            "(expected a PEP 508 string such as 'mistune>=3,<4')",
                            code=ErrorCode.LOAD_FAILED, plugin=manifest.id)
        try:
            from packaging.requirements import InvalidRequirement, Requirement
        except ImportError:  # pragma: no cover - pip checks the string then
            pass
        else:
            try:
                Requirement(text)
            except InvalidRequirement as exc:
                raise LoadError(f"{manifest.path}: sandbox.requirements: {text!r} is not a valid "
                                f"PEP 508 requirement: {exc}", code=ErrorCode.LOAD_FAILED,
                                plugin=manifest.id) from None
        requirements.append(text)
    return requirements


def _pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_USER", "PIP_REQUIRE_VIRTUALENV",
                        "PIP_NO_DEPS", "PIP_NO_BINARY", "PIP_ONLY_BINARY", "PYTHONPATH")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def _run_pip(args: list[str], plugin_id: str, what: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("pip") is None:
        raise LoadError(f"{what} needs pip in the host interpreter ({sys.executable})",
                        code=ErrorCode.LOAD_FAILED, plugin=plugin_id)
    cmd = [sys.executable, "-m", "pip", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, env=_pip_env(),
                              timeout=_PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise LoadError(f"{what}: pip did not finish within {_PIP_TIMEOUT_S} s (is the package "
                        "index reachable?)", code=ErrorCode.LOAD_FAILED, plugin=plugin_id) from None


def _pip_failure(output: str, requirements: list[str]) -> str:
    """Why pip could not resolve or install ``requirements``, naming the package."""
    errors = [ln[len("ERROR: "):].strip() for ln in output.splitlines() if ln.startswith("ERROR: ")]
    missing = re.search(r"No matching distribution found for (\S+)", output)
    if missing:
        spec = missing.group(1)
        name = _project_name(spec)
        found = re.search(r"requirement " + re.escape(spec) + r" (?:\([^)]*\) )*\(from versions: ([^)]*)\)",
                          output)
        versions = found.group(1).strip() if found else "none"
        shown = repr(name) + (f" ({spec})" if spec != name else "")
        if versions == "none":
            why = (f"the package {shown} has no pure-Python wheel (py3-none-any) for Python "
                   f"{GUEST_PYTHON_VERSION} on the package index: it publishes only native-extension "
                   "wheels or a source distribution (or does not exist); only pure-Python wheels "
                   "can run in the wasm sandbox (native extensions are not supported)")
        else:
            why = (f"no pure-Python wheel of the package {shown} satisfies the requirement "
                   f"(pure-Python versions available: {versions})")
        wanted = {_project_name(r).lower().replace("_", "-") for r in requirements}
        if name.lower().replace("_", "-") not in wanted:
            why += f"; {name!r} is a dependency of {', '.join(repr(r) for r in requirements)}"
        return why
    if any(sign in output for sign in _NETWORK_SIGNS):
        return ("the package index could not be reached; resolving requirements needs network "
                "access to it when no resolution is cached: " + ("; ".join(errors[:3]) or
                                                                  output.strip()[-500:]))
    return "pip failed: " + ("; ".join(errors[:5]) or output.strip()[-1000:] or "without output")


def _project_name(requirement: str) -> str:
    """The project name a requirement string starts with (the string itself if none)."""
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return m.group(1) if m else requirement


def _lock_path(root: Path, requirements: list[str]) -> Path:
    doc = {"format": "gps-requirements-lock-1", "requirements": requirements,
           "target": list(PURE_WHEEL_OPTIONS),
           "index": [os.environ.get("PIP_INDEX_URL", ""), os.environ.get("PIP_EXTRA_INDEX_URL", "")]}
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    return root / "requirements" / f"{digest}.json"


def _read_lock(path: Path) -> tuple[float, list[LockedWheel]] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        wheels = [LockedWheel(w["name"], w["version"], w["sha256"], w["filename"]) for w in doc["wheels"]]
        return float(doc["resolved_at"]), wheels
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _resolve(requirements: list[str], plugin_id: str, where: str) -> list[LockedWheel]:
    """Ask pip (and the index) what ``requirements`` resolve to, as pure-Python wheels."""
    with tempfile.TemporaryDirectory(prefix="gps-resolve-") as tmp:
        report = Path(tmp) / "report.json"
        proc = _run_pip(["install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
                         "--target", str(Path(tmp) / "target"), *PURE_WHEEL_OPTIONS, "--", *requirements],
                        plugin_id, f"{where}: resolving sandbox.requirements")
        if proc.returncode != 0 or not report.is_file():
            raise LoadError(f"{where}: sandbox.requirements {requirements} cannot be bundled: "
                            f"{_pip_failure(proc.stderr + proc.stdout, requirements)}",
                            code=ErrorCode.LOAD_FAILED, plugin=plugin_id)
        doc = json.loads(report.read_text(encoding="utf-8"))
    wheels: list[LockedWheel] = []
    for item in doc.get("install", []):
        meta, info = item.get("metadata", {}), item.get("download_info", {})
        name, version = str(meta.get("name", "")), str(meta.get("version", ""))
        url = str(info.get("url", ""))
        filename = url.rsplit("/", 1)[-1].split("#", 1)[0]
        sha256 = (info.get("archive_info") or {}).get("hashes", {}).get("sha256", "")
        m = _WHEEL_NAME.match(filename)
        if m is None or m.group("abi") != "none" or m.group("plat") != "any":
            raise LoadError(f"{where}: sandbox.requirements: the package {name!r} resolved to "
                            f"{filename or url!r}, which is not a pure-Python wheel; only those can "
                            "run in the wasm sandbox", code=ErrorCode.LOAD_FAILED, plugin=plugin_id)
        if not sha256:
            raise LoadError(f"{where}: sandbox.requirements: the package {name!r} ({url}) has no "
                            "sha256 to pin it by", code=ErrorCode.LOAD_FAILED, plugin=plugin_id)
        wheels.append(LockedWheel(name, version, sha256, filename))
    return sorted(wheels, key=lambda w: w.name.lower())


def resolve_requirements(requirements: list[str], *, cache_dir: str | Path | None = None,
                         plugin_id: str = "", where: str = "sandbox.requirements",
                         max_age: float | None = REQUIREMENTS_MAX_AGE,
                         progress: Progress | None = None) -> list[LockedWheel]:
    """The pure-Python wheels ``requirements`` resolve to for the guest (dependencies included).

    A resolution is kept as a lock under ``<cache>/requirements/`` and reused while it is
    younger than ``max_age`` seconds (None: forever; 0: always ask the index). A stale
    lock is used, with a warning, when the index cannot be asked.

    Raises:
        LoadError: a requirement (or one of its dependencies) has no pure-Python wheel,
            cannot be satisfied, or the index cannot be reached and nothing is cached.
    """
    if not requirements:
        return []
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    lock = _lock_path(root, requirements)
    cached = _read_lock(lock)
    if cached is not None and (max_age is None or time.time() - cached[0] < max_age):
        return cached[1]
    if progress is not None:
        progress("resolving sandbox.requirements (pip)")
    try:
        wheels = _resolve(requirements, plugin_id, where)
    except LoadError as exc:
        if cached is None:
            raise
        log.warning("%s; using the resolution of %s", exc.message,
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(cached[0])))
        return cached[1]
    lock.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(lock, json.dumps({
        "requirements": requirements, "resolved_at": time.time(), "target": list(PURE_WHEEL_OPTIONS),
        "wheels": [w.__dict__ for w in wheels]}, indent=2).encode())
    return wheels


def _install_wheels(wheels: list[LockedWheel], dest: Path, plugin_id: str, where: str) -> list[str]:
    """Install exactly ``wheels`` (hash-checked, no dependencies) into ``dest``; returns the
    top-level module names they provide."""
    with tempfile.TemporaryDirectory(prefix="gps-wheels-") as tmp:
        pins = Path(tmp) / "requirements.txt"
        pins.write_text("".join(f"{w.pin()} --hash=sha256:{w.sha256}\n" for w in wheels), encoding="utf-8")
        staging = Path(tmp) / "target"
        proc = _run_pip(["install", "--quiet", "--no-deps", "--require-hashes", "--ignore-installed",
                         "--target", str(staging), *PURE_WHEEL_OPTIONS, "-r", str(pins)],
                        plugin_id, f"{where}: installing sandbox.requirements")
        if proc.returncode != 0:
            raise LoadError(f"{where}: installing sandbox.requirements "
                            f"{[w.pin() for w in wheels]} failed: "
                            f"{_pip_failure(proc.stderr + proc.stdout, [w.name for w in wheels])}",
                            code=ErrorCode.LOAD_FAILED, plugin=plugin_id)
        shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts: nothing runs them
        natives = [p for p in _walk(staging) if p.name.endswith(NATIVE_SUFFIXES) or ".so." in p.name]
        if natives:
            names = ", ".join(p.relative_to(staging).as_posix() for p in natives)
            raise LoadError(f"{where}: sandbox.requirements contain native extension modules, which "
                            f"cannot run in the wasm sandbox: {names}", code=ErrorCode.LOAD_FAILED,
                            plugin=plugin_id)
        modules: list[str] = []
        for entry in sorted(staging.iterdir()):
            name = entry.name[:-3] if entry.suffix == ".py" and entry.is_file() else entry.name
            if entry.name.endswith((".dist-info", ".data")) or name.startswith((".", "__")):
                continue
            if name in _RESERVED_TOP_LEVEL or name.startswith("componentize_py"):
                raise LoadError(f"{where}: sandbox.requirements install the top-level name {name!r}, "
                                "which the component uses itself", code=ErrorCode.LOAD_FAILED,
                                plugin=plugin_id)
            if (entry.is_dir() and name.isidentifier()) or entry.suffix == ".py":
                modules.append(name)
            dest_entry = dest / entry.name
            if entry.is_dir():
                shutil.copytree(entry, dest_entry, ignore=shutil.ignore_patterns("__pycache__"),
                                dirs_exist_ok=True)
            else:
                shutil.copyfile(entry, dest_entry)
        for info in staging.glob("*.dist-info"):
            shutil.copytree(info, dest / info.name, dirs_exist_ok=True)
    return modules


def install_requirements(plugin_dir: str | Path, dest: str | Path, *,
                         cache_dir: str | Path | None = None) -> list[str]:
    """Install into ``dest`` exactly the wheels a wasm build of ``plugin_dir`` bundles.

    The in-process tier (and the test harness) import a plugin in the host interpreter,
    where its ``sandbox.requirements`` must be importable too: put ``dest`` on
    ``sys.path`` to use the same pinned versions as the wasm tier. Returns the top-level
    module names installed (empty without requirements).

    Raises:
        ManifestError, LoadError: as :func:`build_plugin` does for requirements.
    """
    manifest = load_manifest(Path(plugin_dir))
    requirements = _requirement_list(manifest)
    wheels = resolve_requirements(requirements, cache_dir=cache_dir, plugin_id=manifest.id,
                                  where=str(manifest.path))
    if not wheels:
        return []
    target = Path(dest)
    target.mkdir(parents=True, exist_ok=True)
    return _install_wheels(wheels, target, manifest.id, str(manifest.path))

# --------------------------------------------------------------------------- build


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{time.monotonic_ns()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _atomic_copy(src: Path, dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}-{time.monotonic_ns()}")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


_COMPONENTIZE = ("import sys; from componentize_py import script; "
                 "sys.argv[0] = 'componentize-py'; sys.exit(script())")


def _componentize(src: Path, out: Path, work: Path, plugin_id: str) -> None:
    """Run componentize-py on ``src`` (a temp folder: it writes __pycache__ there)."""
    if importlib.util.find_spec("componentize_py") is None:
        raise TierUnavailable("the wasm tier needs componentize-py (install the 'wasm' extra)",
                              plugin=plugin_id)
    # componentize-py adds the site-packages of $VIRTUAL_ENV (or of the `python` on
    # PATH) to the guest's path: point it at an empty one so a build only sees what
    # this function put in `src`.
    empty_env = work / "no-site"
    (empty_env / "lib" / "site-packages").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIPENV", "CONDA"))}
    env["VIRTUAL_ENV"] = str(empty_env)
    env.pop("RUST_BACKTRACE", None)
    cmd = [sys.executable, "-c", _COMPONENTIZE, "-q", "-d", str(_wit_dir()), "-w", _WORLD,
           "componentize", APP_MODULE, "-p", str(src), "-o", str(out)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(work),
                              timeout=900)
    except subprocess.TimeoutExpired:
        raise LoadError("componentize-py did not finish within 900 s", plugin=plugin_id) from None
    if proc.returncode != 0 or not out.is_file():
        output = proc.stderr or proc.stdout or ""
        raise LoadError(f"building the wasm component failed: {_summarise(output, src)}",
                        code=ErrorCode.LOAD_FAILED, plugin=plugin_id,
                        traceback=_guest_traceback(output) or None)


def _guest_traceback(output: str) -> str:
    """The guest's Python traceback from componentize-py's output, else the output."""
    start = output.find("Traceback (most recent call last):", output.find("AssertionError: "))
    if start < 0:
        return output.strip()
    end = output.find("\n\nCaused by:", start)
    text = output[start:end if end > 0 else len(output)]
    return text.replace(f"/0/{PLUGIN_PACKAGE}/", "").strip() + "\n"


def _summarise(output: str, src: Path) -> str:
    """The useful line of componentize-py's output (a Python traceback's last line)."""
    lines = [ln for ln in (output or "").strip().splitlines() if ln.strip()]
    if not lines:
        return "componentize-py failed without output"
    for ln in reversed(lines):
        s = ln.strip()
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b", s):
            return s.replace(str(src) + os.sep, "")
    return lines[-1].strip()[:500]


def compile_component(wasm_path: Path, cwasm_path: Path, engine: "Engine") -> None:
    """Compile ``wasm_path`` with ``engine`` and write the serialized form atomically."""
    from wasmtime.component import Component
    component = Component.from_file(engine, str(wasm_path))
    try:
        _atomic_write(cwasm_path, bytes(component.serialize()))
    finally:
        component.close()


@dataclass(frozen=True)
class _Inputs:
    manifest: Manifest
    plugin_files: list[tuple[str, bytes]]
    sdk_files: list[tuple[str, bytes]]
    abi_files: list[tuple[str, bytes]]
    app_source: str
    key: str
    requirements: tuple[str, ...] = ()
    wheels: tuple[LockedWheel, ...] = ()


def _collect(plugin_dir: Path, cache_dir: str | Path | None = None,
             progress: Progress | None = None) -> _Inputs:
    """Read and check every input of a build and compute its cache key."""
    manifest = load_manifest(plugin_dir)
    requirements = _requirement_list(manifest)
    plugin_files = _plugin_files(plugin_dir, manifest.id)
    wheels = resolve_requirements(requirements, cache_dir=cache_dir, plugin_id=manifest.id,
                                  where=str(manifest.path), progress=progress)
    sdk_files = _package_py_files(_package_dir("guest_sdk"))
    abi_files = _package_py_files(_package_dir("host_abi"))
    wit_files = [(p.name, p.read_bytes()) for p in sorted(_wit_dir().glob("*.wit"))]
    app_source = generate_app(manifest.entry_module, manifest.entry_factory, manifest.id,
                              requirements=bool(requirements))
    parts: list[tuple[str, bytes]] = [("format", b"gps-wasm-build-1")]
    parts += [(f"plugin/{rel}", data) for rel, data in plugin_files]
    parts += [(f"guest_sdk/{rel}", data) for rel, data in sdk_files]
    parts += [(f"host_abi/{rel}", data) for rel, data in abi_files]
    parts += [(f"wit/{rel}", data) for rel, data in wit_files]
    parts.append((f"app/{APP_MODULE}.py", app_source.encode("utf-8")))
    if requirements:  # absent otherwise, so keys of plugins without requirements never change
        parts.append(("requirements", json.dumps({"requirements": requirements,
                                                  "target": list(PURE_WHEEL_OPTIONS)}).encode()))
        parts += [(f"wheel/{w.name}", f"{w.pin()} {w.filename} sha256:{w.sha256}".encode())
                  for w in wheels]
    parts.append(("versions", json.dumps({
        "componentize-py": _version("componentize-py"), "wasmtime": _version("wasmtime"),
        "python": sys.implementation.cache_tag, "machine": platform.machine()}).encode()))
    return _Inputs(manifest, plugin_files, sdk_files, abi_files, app_source, _cache_key(parts),
                   tuple(requirements), tuple(wheels))


def plugin_key(plugin_dir: str | Path, *, cache_dir: str | Path | None = None) -> str:
    """The cache key a build of ``plugin_dir`` would have (reads files, builds nothing).

    For a plugin with ``sandbox.requirements`` the key needs their resolution: the lock
    cached under ``cache_dir`` (default :func:`default_cache_dir`), else pip and the
    package index (see :func:`resolve_requirements`).

    Raises:
        ManifestError, LoadError: as :func:`build_plugin` does before building.
    """
    return _collect(Path(plugin_dir), cache_dir).key


def build_plugin(plugin_dir: str | Path, *, cache_dir: str | Path | None = None,
                 progress: Progress | None = None, engine_settings: EngineSettings | None = None,
                 engine: "Engine | None" = None, compile: bool = True) -> BuildResult:
    """Build (or find in the cache) the component of the plugin in ``plugin_dir``.

    ``engine`` compiles the ``.cwasm`` (it must have been created from
    ``engine_settings``); without it, one is made from ``engine_settings`` (default
    :class:`EngineSettings`). ``compile=False`` stops after the ``.wasm``.
    ``progress(stage)`` is called before each slow stage.

    ``sandbox.requirements`` are resolved (or their cached resolution reused, see
    :func:`resolve_requirements`) before the key is known, and installed into the
    component when it is built.

    Raises:
        ManifestError: the manifest is invalid.
        LoadError: a native extension (in the plugin or a requirement), a requirement
            without a pure-Python wheel (the message names the package), an unreachable
            package index with nothing cached, or the build failed (the message carries
            the plugin's error, e.g. an import failing at build time).
        TierUnavailable: componentize-py or wasmtime is not installed.
    """
    started = time.perf_counter()
    say = progress or (lambda stage: None)
    say("reading the manifest")
    inputs = _collect(Path(plugin_dir), cache_dir, progress)
    manifest, key = inputs.manifest, inputs.key
    plugin_files, sdk_files, abi_files = inputs.plugin_files, inputs.sdk_files, inputs.abi_files
    app_source = inputs.app_source

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    entry = root / key
    entry.mkdir(parents=True, exist_ok=True)
    wasm_path = entry / WASM_NAME
    cached = wasm_path.is_file()
    if not cached:
        say("building the component (componentize-py)")
        with tempfile.TemporaryDirectory(prefix="gps-build-") as tmp:
            work = Path(tmp)
            src = work / "src"
            for base, files in (("guest_sdk", sdk_files), ("host_abi", abi_files),
                                (PLUGIN_PACKAGE, plugin_files)):
                for rel, data in files:
                    dest = src / base / rel
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(data)
            (src / f"{APP_MODULE}.py").write_text(app_source, encoding="utf-8")
            if inputs.requirements:
                say("installing sandbox.requirements (pip)")
                modules = _install_wheels(list(inputs.wheels), src, manifest.id, str(manifest.path))
                (src / f"{REQUIREMENTS_MODULE}.py").write_text(
                    '"""Generated by runtime.build: the bundled requirements\' top-level modules."""\n\n'
                    f"MODULES = {tuple(modules)!r}\n", encoding="utf-8")
            out = work / WASM_NAME
            _componentize(src, out, work, manifest.id)
            _atomic_copy(out, wasm_path)
        _atomic_write(entry / "build.json", json.dumps({
            "plugin_id": manifest.id, "plugin_version": manifest.version,
            "entry": f"{manifest.entry_module}:{manifest.entry_factory}",
            "plugin_files": [rel for rel, _ in plugin_files],
            "requirements": list(inputs.requirements),
            "wheels": [{"name": w.name, "version": w.version, "sha256": w.sha256, "filename": w.filename}
                       for w in inputs.wheels],
            "componentize-py": _version("componentize-py"), "wasmtime": _version("wasmtime"),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }, indent=2).encode())

    settings = engine_settings or EngineSettings()
    cwasm_path = entry / f"{settings.tag()}.cwasm"
    compiled = False
    if compile and not cwasm_path.is_file():
        if importlib.util.find_spec("wasmtime") is None:
            raise TierUnavailable("the wasm tier needs wasmtime (install the 'wasm' extra)",
                                  plugin=manifest.id)
        say("compiling the component (wasmtime)")
        compile_component(wasm_path, cwasm_path, engine or settings.engine())
        compiled = True
    return BuildResult(
        wasm_path=wasm_path, cwasm_path=cwasm_path, key=key, cached=cached,
        seconds=time.perf_counter() - started, compiled=compiled,
        wasm_size=wasm_path.stat().st_size,
        cwasm_size=cwasm_path.stat().st_size if cwasm_path.is_file() else 0,
        plugin_id=manifest.id, plugin_version=manifest.version,
        wheels=tuple(w.pin() for w in inputs.wheels))
