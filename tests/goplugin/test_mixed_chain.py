"""A gateway chain mixing a Go go-plugin plugin (process tier) with Python plugins on the
wasm, subinterpreter and in-process tiers: each plugin sees what the previous one did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from runtime import Runtime, RuntimeConfig
from runtime.chain import Chain, HttpRequest, HttpResponse

from gohost import children_named

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_go_and_python_plugins_in_one_chain(make_go_plugin: Callable[..., Path], tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    # generous deadlines: the first call of a freshly built component on a busy machine is slow
    policy.write_text(json.dumps({"version": 1, "defaults": {
        "grants": ["kv.readwrite"], "limits": {"timeout_ms": 20000}}, "plugins": {
        "gp": {"tier": "process", "config": {"count_requests": True}},
        "enricher": {"tier": "wasm", "config": {"instruction": "Be brief."}},
        "marker": {"tier": "inprocess"},
        "modifier": {"tier": "subinterpreter", "trust": "trusted", "config": {"instruction": "In French."}}}}))
    upstream_saw: list[HttpRequest] = []

    def upstream(req: HttpRequest) -> HttpResponse:
        upstream_saw.append(req)
        return HttpResponse(200, {"content-type": "application/json"}, b'{"answer": "a secret"}')

    with Runtime(RuntimeConfig(policy=policy, ephemeral=True)) as rt:
        rt.load(make_go_plugin(), name="gp")
        rt.load(EXAMPLES / "request_enricher", name="enricher")
        rt.load(EXAMPLES / "response_modifier", name="marker")
        rt.load(EXAMPLES / "message_modifier", name="modifier")
        assert {n: p.settings.tier for n, p in rt.plugins.items()} == {
            "gp": "process", "enricher": "wasm", "marker": "inprocess", "modifier": "subinterpreter"}
        chain = Chain(rt, pre_auth=["modifier", "gp"], post_auth=["enricher", "gp"],
                      on_response=["marker", "gp"])
        body = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()
        result = chain.handle(HttpRequest("POST", "/v1/chat", {"content-type": "application/json"},
                                          body, request_id="r1"), upstream)
        assert result.response.status == 200
        [sent] = upstream_saw
        # the wasm plugin rewrote the body, the Go plugin added its headers after it
        messages = json.loads(sent.body)["messages"]
        assert messages[-1] == {"role": "system", "content": "Be brief."}
        assert messages[0]["content"].endswith("In French.")  # the subinterpreter plugin's work
        assert sent.headers["x-go-plugin"] == "hello-from-go" and sent.headers["x-go-count"] == "1"
        assert "x-app-id" in sent.headers
        assert result.context == {"go_plugin": "seen"}
        # the in-process plugin marked the response; the Go plugin kept its headers and added one
        assert result.response.headers["x-gateway-processed"] == "true"
        assert result.response.headers["x-go-response"] == "1"
        assert b"[redacted]" in result.response.body
        assert [(s.plugin, s.outcome) for s in result.steps if s.plugin != "(upstream)"][:4] == [
            ("modifier", "modified"), ("gp", "passed"), ("enricher", "modified"), ("gp", "modified")]
        # the Go plugin blocks in pre_auth: nothing after it runs
        blocked = chain.handle(HttpRequest("POST", "/v1/chat", {"x-block": "1"}, body), upstream)
        assert blocked.response.status == 403 and blocked.blocked_by == "gp"
        assert len(upstream_saw) == 1
    assert children_named("goplugin") == []
