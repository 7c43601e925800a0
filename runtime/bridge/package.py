"""``runtime package PLUGIN_DIR -o FILE``: one executable file for a host's plugin command.

The file is a Python zip application whose first line runs this runtime's interpreter.
It holds the plugin's files (and the operator's policy, when one was given). When the
host launches it, it unpacks the plugin once into
``$XDG_CACHE_HOME/gateway-plugin-sandbox/packaged/<content hash>/<plugin directory name>``
(``$GPS_PACKAGED_DIR`` instead when set)
and runs ``runtime serve`` on that copy, with the arguments given at packaging time
followed by any given at launch. Packaging builds the plugin's WebAssembly component
from that same copy, so the component and its compiled artifact are already in the
cache (keyed by content) when the host first starts the plugin.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipapp
from pathlib import Path
from typing import Any

__all__ = ["package_plugin", "packaged_root", "PackageResult"]

#: Files and directories never packaged.
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".git", ".venv"}
_SKIP_SUFFIXES = (".pyc", ".pyo")

MAIN = '''\
"""A plugin packaged by `runtime package`: unpacks it once, then runs `runtime serve` on it."""
import os
from runtime.bridge.package import run_packaged
run_packaged(os.path.dirname(os.path.abspath(__file__)))
'''


def _unpack(archive: str | Path) -> tuple[Path, dict[str, Any]]:
    """Unpack the archive's plugin (once per content hash); its directory and metadata."""
    import zipfile

    with zipfile.ZipFile(archive) as z:
        meta = json.loads(z.read("package.json"))
        root = packaged_root()
        target = root / meta["hash"]
        if not target.is_dir():
            root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f"{meta['hash']}.", dir=root))
            try:
                for member in z.namelist():
                    if member.startswith(meta["dirname"] + "/") or member == "policy.json":
                        z.extract(member, tmp)
                os.rename(tmp, target)
            except OSError:
                if not target.is_dir():
                    raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)  # left only when another start won
    return target, meta


def run_packaged(archive: str) -> None:
    """The packaged executable's entry point: ``runtime serve`` on the unpacked plugin."""
    from .serve import main as serve_main

    target, meta = _unpack(archive)
    args = [str(target / meta["dirname"]), *meta["args"]]
    if (target / "policy.json").is_file():
        args += ["--policy", str(target / "policy.json")]
    serve_main(args + sys.argv[1:])


class PackageResult(dict):  # type: ignore[type-arg]
    """What was written (a dict: output, plugin, hash, unpacked, built)."""


def packaged_root() -> Path:
    """``$GPS_PACKAGED_DIR``, else ``$XDG_CACHE_HOME/gateway-plugin-sandbox/packaged``."""
    if os.environ.get("GPS_PACKAGED_DIR"):
        return Path(os.environ["GPS_PACKAGED_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gateway-plugin-sandbox" / "packaged"


def _files(plugin_dir: Path) -> list[Path]:
    out = []
    for path in sorted(plugin_dir.rglob("*")):
        rel = path.relative_to(plugin_dir)
        if any(part in _SKIP_DIRS for part in rel.parts) or path.suffix in _SKIP_SUFFIXES:
            continue
        if path.is_file():
            out.append(rel)
    return out


def package_plugin(plugin_dir: Path, output: Path, *, name: str | None = None,
                   policy: Path | None = None, build: bool = True,
                   serve_args: list[str] | None = None) -> PackageResult:
    """Write the executable ``output`` for the plugin in ``plugin_dir``.

    Raises:
        ManifestError: the plugin does not validate.
        PluginRuntimeError: the WebAssembly build failed.
        OSError: ``output`` cannot be written.
    """
    from ..manifest import load_manifest

    plugin_dir = plugin_dir.resolve()
    manifest = load_manifest(plugin_dir)
    files = _files(plugin_dir)
    digest = hashlib.sha256()
    for rel in files:
        digest.update(str(rel).encode() + b"\0" + (plugin_dir / rel).read_bytes() + b"\0")
    policy_text = policy.read_text(encoding="utf-8") if policy is not None else None
    if policy_text is not None:
        json.loads(policy_text)  # a policy that is not JSON fails here, not in the host
        digest.update(b"policy\0" + policy_text.encode())
    args = list(serve_args or [])
    if name:
        args += ["--name", name]
    digest.update(json.dumps(args).encode())
    content_hash = digest.hexdigest()[:24]
    meta: dict[str, Any] = {"hash": content_hash, "dirname": plugin_dir.name, "args": args,
                            "plugin_id": manifest.raw.get("id"), "version": manifest.raw.get("version")}
    with tempfile.TemporaryDirectory(prefix="runtime-package-") as tmp:
        src = Path(tmp) / "app"
        (src / plugin_dir.name).mkdir(parents=True)
        for rel in files:
            dest = src / plugin_dir.name / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(plugin_dir / rel, dest)
        if policy_text is not None:
            (src / "policy.json").write_text(policy_text, encoding="utf-8")
        (src / "package.json").write_text(json.dumps(meta), encoding="utf-8")
        (src / "__main__.py").write_text(MAIN, encoding="utf-8")
        output.parent.mkdir(parents=True, exist_ok=True)
        zipapp.create_archive(src, output, interpreter=sys.executable)
    os.chmod(output, 0o755)
    unpacked = packaged_root() / content_hash / plugin_dir.name
    built = False
    if build:
        built = _prebuild(output, unpacked, policy_text, name)
    return PackageResult(output=str(output), plugin=manifest.raw.get("id"), hash=content_hash,
                         unpacked=str(unpacked), built=built)


def _prebuild(output: Path, unpacked: Path, policy_text: str | None, name: str | None) -> bool:
    """Unpack as the executable will, and build the component there when the plugin runs
    on the wasm tier (the cache is keyed by content, so the host's first start is warm)."""
    from ..api import available_tiers
    from ..manifest import load_manifest
    from ..policy import effective_settings, load_policy

    target, meta = _unpack(output)
    policy_path = target / "policy.json"
    policy_obj = load_policy(policy_path if policy_path.is_file() else None)
    manifest = load_manifest(unpacked)
    identity = name or unpacked.name.lower().replace(" ", "-")
    settings = effective_settings(manifest, policy_obj, identity)
    if settings.tier != "wasm" or available_tiers()["wasm"] != "available":
        return False
    from ..build import build_plugin
    build_plugin(unpacked)
    return True
