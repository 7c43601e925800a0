"""`runtime demo` runs the example chain and shows each outcome."""

from __future__ import annotations

import io

from rich.console import Console

from runtime.cli.demo import run_demo


def test_demo_shows_pass_reject_limit_and_counts() -> None:
    out = io.StringIO()
    assert run_demo("inprocess", bench=False, console=Console(file=out, width=200)) == 0
    text = out.getvalue()
    assert "tier inprocess" in text and "no isolation" in text
    for line in ("1. Ana asks a question  ->  HTTP 200", "2. Someone with a bad token  ->  HTTP 401",
                 "5. Ana a fourth time: over her limit of 3 a minute  ->  HTTP 429",
                 "6. Carol, another app, is not limited  ->  HTTP 200"):
        assert line in text
    assert "rate limit exceeded" in text and "invalid or unknown token" in text
    assert "[checked by the gateway]" not in text or "answer:" in text
    assert "requests:" in text and ":app:7" in text  # the collector counted Ana's requests
