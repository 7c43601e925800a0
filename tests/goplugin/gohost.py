"""Running our Go go-plugin host (go/host: go-plugin 1.0.1's client with AI Studio's
handshake) against a plugin command and reading what it printed."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


ROOT = Path(__file__).resolve().parents[2]
ALL_HOOKS = Path(__file__).parent / "plugins" / "all_hooks"
RUNTIME = [str(Path(sys.executable).with_name("runtime")), "serve"]

CALLS = [
    {"rpc": "ProcessPreAuth", "request": {"headers": {"x-block": "1"}}},
    {"rpc": "ProcessPostAuth", "request": {"request": {"path": "/v1/x"}}},
    {"rpc": "ProcessPostAuth", "request": {"request": {"path": "/v1/y"}}},
    {"rpc": "OnBeforeWriteHeaders", "request": {"headers": {"a": "b"}}},
    {"rpc": "OnBeforeWrite", "request": {"body": base64.b64encode(b"hello").decode()}},
    {"rpc": "GetEndpointRegistrations", "request": {}},
    {"rpc": "HandleEndpointRequest", "request": {"path": "/echo", "body": base64.b64encode(b"hi").decode()}},
    {"rpc": "HandleEndpointRequestStream", "request": {"path": "/stream"}},
    {"rpc": "HandleAgentMessage", "request": {"user_message": "one two three"}},
    {"rpc": "GetManifest", "request": {}},
    {"rpc": "Ping", "request": {"timestamp": 5}},
]


def _serve_processes(marker: str) -> list[str]:
    """Live ``serve`` processes whose command line names ``marker`` (pid, state, command)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
            if state != "Z" and b"serve" in cmdline and any(marker.encode() in part for part in cmdline):
                found.append(f"{entry} (parent {ppid}, {state}): {b' '.join(cmdline).decode(errors='replace')}")
    return found


def drive(go_bin: Path, tmp_path: Path, command: list[str], calls: list[dict[str, Any]],
          *flags: str) -> list[dict[str, Any]]:
    calls_file = tmp_path / "calls.json"
    calls_file.write_text(json.dumps(calls))
    done = subprocess.run([str(go_bin / "gohost"), "-calls", str(calls_file), *flags, "--", *command],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert not any("fatal" in line for line in lines), lines
    return lines


def _by_rpc(lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        if line.get("event") == "call":
            out.setdefault(line["rpc"], []).append(line)
    return out


def children_named(name: str) -> list[int]:
    """Live (not zombie) processes called ``name`` whose parent is this process."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if comm == name[:15] and int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.append(int(entry))
    return found
