"""``runtime demo``: the example plugins as a gateway would run them, explained on screen.

Loads the examples on the default embedded setup (the best tier available here; the
tier is said on screen), sends a realistic sequence of requests through a chain in AI
Studio's order (pre_auth -> auth -> post_auth -> upstream -> on_response -> data
collection), shows what each plugin did, what the collector counted, and ends with
``runtime bench --quick``.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from ..api import Runtime, RuntimeConfig, available_tiers
from ..broker.fixtures import Fixtures
from ..chain import Chain, HttpRequest, HttpResponse
from ..policy import policy_from_dict

__all__ = ["run_demo"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOKENS = {"tok-ana": {"app_id": 7, "user_id": 42, "email": "ana@example.com", "name": "Ana"},
          "tok-carol": {"app_id": 8, "user_id": 43, "email": "carol@example.com", "name": "Carol"}}
_STYLE = {"blocked": "bold red", "rejected": "bold red", "failed": "yellow", "modified": "cyan",
          "authenticated": "green", "collected": "magenta", "passed": "dim"}


def _upstream(req: HttpRequest) -> HttpResponse:
    """A fake LLM: answers the last user message (the upstream is not what is shown here)."""
    body = json.loads(req.body or b"{}")
    messages = body.get("messages", [])
    last = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    system = [m.get("content", "") for m in messages if m.get("role") == "system"]
    answer = {"id": "chatcmpl-" + uuid.uuid4().hex[:8], "object": "chat.completion",
              "model": body.get("model", "gpt-4o"),
              "choices": [{"index": 0, "finish_reason": "stop", "message": {
                  "role": "assistant",
                  "content": f"(fake model) I read {len(last)} characters"
                             + (f" and {len(system)} system instruction(s)" if system else "") + "."}}],
              "usage": {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29}}
    return HttpResponse(200, {"content-type": "application/json", "server": "fake-llm/1.0"},
                        json.dumps(answer).encode())


def _request(token: str | None, text: str, n: int) -> HttpRequest:
    headers = {"content-type": "application/json", "user-agent": "demo-client/1.0"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}).encode()
    return HttpRequest("POST", "/llm/rest/gpt-4o/v1/chat/completions", headers, body,
                       remote_addr="203.0.113.9:5151", request_id=f"demo-{n}", llm_id=1,
                       llm_slug="gpt-4o", vendor="openai")


def _default_tier() -> str:
    tiers = available_tiers()
    return "wasm" if tiers.get("wasm") == "available" else "inprocess"


def run_demo(tier: str | None, bench: bool, console: Console | None = None) -> int:
    console = console or Console()
    import logging

    from rich.logging import RichHandler
    handler = RichHandler(console=console, show_time=False, show_path=False, markup=False)
    plugin_log = logging.getLogger("plugin")
    plugin_log.addHandler(handler)
    plugin_log.propagate = False
    try:
        return _run(tier, bench, console)
    finally:
        plugin_log.removeHandler(handler)
        plugin_log.propagate = True


def _run(tier: str | None, bench: bool, console: Console) -> int:
    tier = tier or _default_tier()
    note = "" if tier == "wasm" else (
        "  [yellow]The wasm tier is not available here, so the plugins run in-process "
        "(the same ABI, no isolation).[/yellow]")
    console.print(Panel.fit(f"[bold]runtime demo[/bold]: six example plugins in a gateway chain, "
                            f"tier [bold]{tier}[/bold], embedded services (KV in memory for this "
                            f"run, look-ups from fixtures).\n{note}".rstrip()))
    policy = policy_from_dict({"version": 1, "defaults": {"tier": tier}, "plugins": {
        "custom_auth": {"grants": ["apps.read"]},
        "usage_collector": {"grants": ["kv.readwrite", "events.publish", "events.subscribe"]}}})
    fixtures = Fixtures(apps=[{"id": 7, "name": "Ana's app", "is_active": True},
                              {"id": 8, "name": "Carol's app", "is_active": True}],
                        llms=[{"id": 1, "name": "GPT-4o", "vendor": "openai", "slug": "gpt-4o",
                               "default_model": "gpt-4o", "is_active": True}])
    with Runtime(RuntimeConfig(policy=policy, runtime="gateway", ephemeral=True,
                               fixtures=fixtures)) as rt:
        started = time.perf_counter()
        for name, config in (
                ("message_modifier", {"instruction": "Answer in one paragraph."}),
                ("custom_auth", {"tokens": TOKENS}),
                ("rate_limiter", {"limit": 3, "window_seconds": 60, "key_by": "app"}),
                ("request_enricher", {"instruction": "Cite your sources."}),
                ("response_modifier", {"footer": " [checked by the gateway]", "remove_headers": ["server"]}),
                ("usage_collector", {})):
            hint = (" (the first run builds its WebAssembly component, ~15-25 s; later runs load "
                    "it from the cache)") if tier == "wasm" else ""
            t0 = time.perf_counter()
            with console.status(f"loading {name}{hint}"):
                rt.load(EXAMPLES / name, config=config)
            console.print(f"  loaded {name} in {(time.perf_counter() - t0) * 1000:.0f} ms")
        console.print(f"Loaded {len(rt.plugins)} plugins in {(time.perf_counter() - started) * 1000:.0f} ms: "
                      + ", ".join(rt.plugins))
        chain = Chain(rt, pre_auth=["message_modifier"], auth="custom_auth",
                      post_auth=["rate_limiter", "request_enricher"], on_response=["response_modifier"],
                      collectors=["usage_collector"])
        script = [("Ana asks a question", "tok-ana", "What is a plugin sandbox?"),
                  ("Someone with a bad token", "tok-mallory", "Let me in"),
                  ("Ana again", "tok-ana", "And why WebAssembly?"),
                  ("Ana a third time", "tok-ana", "Thanks!"),
                  ("Ana a fourth time: over her limit of 3 a minute", "tok-ana", "One more?"),
                  ("Carol, another app, is not limited", "tok-carol", "Hello from Carol")]
        for n, (title, token, text) in enumerate(script, 1):
            result = chain.handle(_request(token, text, n), _upstream)
            table = Table(title=f"{n}. {title}  ->  HTTP {result.response.status}", title_justify="left",
                          show_header=True, header_style="bold")
            for col in ("plugin", "hook", "what it did", "detail", "us"):
                table.add_column(col, justify="right" if col == "us" else "left")
            for step in result.steps:
                table.add_row(step.plugin, step.hook, f"[{_STYLE.get(step.outcome, '')}]{step.outcome}[/]",
                              step.detail, f"{step.micros:.0f}")
            console.print(table)
            if result.response.status == 200:
                content = json.loads(result.response.body)["choices"][0]["message"]["content"]
                console.print(f"   answer: {content}")
            else:
                console.print(f"   answer: {result.response.body.decode('utf-8', 'replace')[:160]}")
        day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        counts = Table(title="What usage_collector counted (its KV, read by the host)", title_justify="left")
        counts.add_column("key")
        counts.add_column("value", justify="right")
        for key in rt.kv.list("usage_collector", "", 100):
            counts.add_row(key, (rt.kv.read("usage_collector", key) or b"").decode())
        console.print(counts)
        limiter = rt.kv.list("rate_limiter", "", 100)
        console.print(f"rate_limiter's counters: {', '.join(limiter) or '(none)'}; today is {day}.")
    if bench:
        console.print()
        console.print("[bold]runtime bench --quick[/bold]")
        from .bench import run_bench
        run_bench(as_json=False, quick=True, only=())
    return 0
