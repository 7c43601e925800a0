#!/usr/bin/env python3
"""Generate the hook table, the op table and the WIT listing of host_abi/ABI.md from the code.

Usage:
    python scripts/gen_abi_tables.py          # print the generated blocks as markdown
    python scripts/gen_abi_tables.py --write  # replace the blocks in host_abi/ABI.md
    python scripts/gen_abi_tables.py --check  # exit 1 if host_abi/ABI.md is stale

Each block sits between ``<!-- BEGIN <NAME> -->`` and ``<!-- END <NAME> -->`` marker
comments in ABI.md (HOOK TABLE, OP TABLE, WIT). The tables come from
``host_abi.hooks.HOOKS`` and ``host_abi.ops.OPS``; the WIT block is
``host_abi/wit/plugin.wit`` verbatim. ``--check`` also verifies that the error-code table
lists every ``ErrorCode`` with its number and that the limits table names every constant of
``host_abi.limits`` with its value, so the hand-written parts cannot silently drift either.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

ROOT = Path(__file__).resolve().parents[1]
ABI_MD = ROOT / "host_abi" / "ABI.md"
WIT_FILE = ROOT / "host_abi" / "wit" / "plugin.wit"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from host_abi import limits  # noqa: E402
from host_abi.errors import ErrorCode  # noqa: E402
from host_abi.hooks import HOOKS, HookSpec  # noqa: E402
from host_abi.ops import OPS, OpSpec  # noqa: E402

#: Answer templates longer than this go to a numbered note under the hook table.
MAX_INLINE_ANSWER = 48


def _code(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(_plain(value), separators=(", ", ": "), ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _rpc(service: str | None, rpc: str | None) -> str:
    if service is None or rpc is None:
        return "- (lifecycle)"
    return f"{service.rsplit('.', 1)[-1]}/{rpc}"


def render_hook_table() -> str:
    notes: list[str] = []

    def answer(template: Mapping[str, Any] | None, none_text: str) -> str:
        if template is None:
            return none_text
        text = _json(template)
        if len(text) <= MAX_INLINE_ANSWER:
            return _code(text)
        for i, note in enumerate(notes, 1):
            if note == text:
                return f"note {i}"
        notes.append(text)
        return f"note {len(notes)}"

    def default(h: HookSpec) -> str:
        if h.default_answer is not None:
            return answer(h.default_answer, "")
        if h.answered_by == "host":
            return "n/a (host answers)"
        if h.capabilities == ("BasePlugin",):
            return "n/a (every plugin)"
        return "error `CAPABILITY_MISSING`"

    head = ("| # | Hook | RPC | Hook type | Capability (any of) | Request | Response | Streaming "
            "| Answered by | Go SDK default answer | Fail-closed answer | Fail-open answer "
            "| Default policy |")
    rows = [head, "|" + "---|" * 13]
    for h in HOOKS:
        rows.append("| " + " | ".join([
            str(h.number),
            _code(h.name),
            _rpc(h.service, h.rpc),
            _code(h.hook_type) if h.hook_type else "-",
            ", ".join(h.capabilities),
            _code(h.request),
            ("chunk " if h.streaming else "") + _code(h.response),
            "yes" if h.streaming else "no",
            h.answered_by,
            default(h),
            answer(h.fail_closed, "error (the caller gets it)"),
            answer(h.fail_open, "not allowed"),
            h.default_fail_policy.value,
        ]) + " |")
    out = "\n".join(rows) + "\n"
    if notes:
        out += "\nNotes:\n\n" + "".join(f"{i}. {_code(n)}\n" for i, n in enumerate(notes, 1))
    return out


def render_op_table() -> str:
    def rpc(o: OpSpec, path: str | None, runtime: str) -> str:
        if path is not None:
            service, _, method = path.partition("/")
            return f"{service.rsplit('.', 1)[-1]}/{method}"
        if o.runtime not in ("any", runtime):
            return "- (`WRONG_RUNTIME`)"
        return "no RPC"

    head = ("| # | Op | Scope | Runtime | Args | Result (`ok`) | Opens a stream | Embedded "
            "| Under Studio | Under the Gateway |")
    rows = [head, "|" + "---|" * 10]
    for o in OPS:
        rows.append("| " + " | ".join([
            str(o.number),
            _code(o.name),
            _code(o.scope) if o.scope else "none (always allowed)",
            o.runtime,
            _code(", ".join(o.args)) if o.args else "-",
            _code(o.result),
            "yes" if o.streaming else "no",
            "yes" if o.embedded else "no: `UNSUPPORTED_EMBEDDED`",
            rpc(o, o.studio_rpc, "studio"),
            rpc(o, o.gateway_rpc, "gateway"),
        ]) + " |")
    return "\n".join(rows) + "\n"


def render_wit() -> str:
    return "```wit\n" + WIT_FILE.read_text(encoding="utf-8").rstrip("\n") + "\n```\n"


BLOCKS: dict[str, Callable[[], str]] = {
    "HOOK TABLE": render_hook_table,
    "OP TABLE": render_op_table,
    "WIT": render_wit,
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- BEGIN {name} -->\n)(.*?)(<!-- END {name} -->)", re.S)


def replace_blocks(text: str) -> tuple[str, list[str]]:
    """``text`` with every block regenerated, and the names of blocks whose markers are missing."""
    missing = []
    for name, render in BLOCKS.items():
        pattern = _pattern(name)
        if not pattern.search(text):
            missing.append(name)
            continue
        body = render()
        text = pattern.sub(lambda m: m.group(1) + body + m.group(3), text, count=1)
    return text, missing


def coverage_problems(text: str) -> list[str]:
    """Error codes and limits that the hand-written tables of ABI.md do not list correctly."""
    problems = []
    for code in ErrorCode:
        if f"| {code.value} | `{code.name}` |" not in text:
            problems.append(f"error code {code.value} {code.name} has no row "
                            f"'| {code.value} | `{code.name}` |'")
    for name in limits.__all__:
        value = getattr(limits, name)
        row = f"| `{name}` | {value} |"
        if row not in text:
            problems.append(f"limit {name} = {value} has no row '{row}'")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate the tables of host_abi/ABI.md.")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if host_abi/ABI.md is stale")
    mode.add_argument("--write", action="store_true", help="rewrite the blocks in host_abi/ABI.md")
    args = ap.parse_args(argv)
    if not (args.check or args.write):
        for name, render in BLOCKS.items():
            sys.stdout.write(f"<!-- BEGIN {name} -->\n{render()}<!-- END {name} -->\n\n")
        return 0
    current = ABI_MD.read_text(encoding="utf-8")
    fresh, missing = replace_blocks(current)
    if missing:
        print(f"{ABI_MD}: missing markers for {', '.join(missing)}", file=sys.stderr)
        return 1
    if args.write:
        if fresh != current:
            ABI_MD.write_text(fresh, encoding="utf-8")
        problems = coverage_problems(fresh)
    else:
        problems = coverage_problems(current)
        if fresh != current:
            stale = [n for n in BLOCKS if _pattern(n).search(current).group(2)  # type: ignore[union-attr]
                     != _pattern(n).search(fresh).group(2)]  # type: ignore[union-attr]
            problems.insert(0, f"generated blocks are stale: {', '.join(stale)} "
                               "(run scripts/gen_abi_tables.py --write)")
    for p in problems:
        print(f"{ABI_MD}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
