"""An OpenAI-compatible gateway built with Starlette + httpx on the plugin runtime.

Every request to ``/v1/...`` runs the plugin chain (``runtime.asgi.PluginMiddleware``):
pre_auth -> auth -> post_auth -> the upstream (proxied with httpx, streamed when the
client asks for ``"stream": true``) -> on_response (headers, then the body, or each
Server-Sent Event) -> data collection. Plugins' custom endpoints answer under
``/plugins/{slug}/``. ``/healthz`` answers without plugins, ``/metrics`` with Prometheus
metrics per plugin and hook; ``POST /admin/reload/{name}``
(with ``authorization: Bearer <admin_token>`` from the configuration) reloads a plugin's
files while traffic flows.

Configuration is one JSON file named by ``GATEWAY_CONFIG`` (see gateway.example.json)::

    {"upstream": "http://127.0.0.1:9001",
     "runtime": {"tier": "wasm", "kv_url": "redis://127.0.0.1:6379/0", "node": "gw-1"},
     "policy": {... a policy document (README, "Operating: the policy") ...},
     "plugins": {"rate_limiter": {"path": "../rate_limiter", "config": {"limit": 60}}},
     "chain": {"pre_auth": ["rate_limiter"], "auth": null, "post_auth": [],
               "on_response": [], "collectors": []}}

Relative plugin paths are relative to the configuration file. Run it with uvicorn::

    GATEWAY_CONFIG=examples/gateway/gateway.example.json \\
        uvicorn --app-dir examples/gateway --factory gateway_app:create_app --port 8080
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from runtime import RuntimeConfig
from runtime.aio import AsyncRuntime
from runtime.asgi import PluginMiddleware
from runtime.errors import PluginRuntimeError
from runtime.policy import policy_from_dict

#: Hop-by-hop headers, never forwarded.
HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                 "trailers", "transfer-encoding", "upgrade", "host", "content-length"})


def load_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for spec in config.get("plugins", {}).values():
        spec["path"] = str((path.parent / spec["path"]).resolve())
    return config


def build(config: dict[str, Any]) -> tuple[PluginMiddleware, AsyncRuntime]:
    """The ASGI app (with the plugin middleware) and its runtime, from a configuration."""
    upstream = str(config["upstream"]).rstrip("/")
    options = dict(config.get("runtime", {}))
    rt = AsyncRuntime(RuntimeConfig(policy=policy_from_dict(config.get("policy", {"version": 1})),
                                    runtime=options.pop("runtime", "gateway"), **options))
    for name, spec in config.get("plugins", {}).items():
        rt.runtime.load(spec["path"], name=name, config=spec.get("config"))
    c = config.get("chain", {})
    chain = rt.chain(pre_auth=c.get("pre_auth", []), auth=c.get("auth"),
                     post_auth=c.get("post_auth", []), on_response=c.get("on_response", []),
                     collectors=c.get("collectors", []))
    client = httpx.AsyncClient(base_url=upstream, timeout=httpx.Timeout(60.0, connect=5.0),
                               limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))

    async def proxy(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k not in HOP}
        body = await request.body()
        outgoing = client.build_request(request.method, request.url.path, params=request.query_params,
                                        headers=headers, content=body)
        try:
            answer = await client.send(outgoing, stream=True)
        except httpx.HTTPError as exc:
            return JSONResponse({"error": {"message": f"upstream unreachable: {type(exc).__name__}"}},
                                status_code=502)
        out_headers = {k: v for k, v in answer.headers.items() if k not in HOP}
        if answer.headers.get("content-type", "").startswith("text/event-stream"):
            return StreamingResponse(answer.aiter_raw(), status_code=answer.status_code,
                                     headers=out_headers, background=BackgroundTask(answer.aclose))
        content = await answer.aread()
        await answer.aclose()
        out_headers.pop("content-encoding", None)
        return Response(content, status_code=answer.status_code, headers=out_headers)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True, "plugins": sorted(rt.runtime.plugins)})

    registry = CollectorRegistry()
    registry.register(rt.runtime.metrics.collector())

    async def metrics(request: Request) -> Response:
        """Prometheus metrics per plugin and hook (calls, errors by code, latency, pools)."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    admin_token = config.get("admin_token")

    async def reload(request: Request) -> Response:
        """Hot reload: load the plugin's files again while traffic flows (0 failed requests:
        the new build warms first, calls running on the old one finish there)."""
        if not admin_token or request.headers.get("authorization") != f"Bearer {admin_token}":
            return JSONResponse({"error": {"message": "admin token required"}}, status_code=401)
        name = request.path_params["name"]
        try:
            await rt.run(rt.runtime.reload, name)
        except PluginRuntimeError as exc:  # the old build keeps serving
            return JSONResponse({"error": exc.to_json()["error"]}, status_code=409)
        return JSONResponse({"reloaded": name})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()
        await rt.aclose()

    inner = Starlette(routes=[Route("/healthz", healthz), Route("/metrics", metrics),
                              Route("/admin/reload/{name}", reload, methods=["POST"]),
                              Route("/v1/{path:path}", proxy, methods=["GET", "POST"])],
                      lifespan=lifespan)
    return PluginMiddleware(inner, chain, applies=lambda path: path.startswith("/v1/")), rt


def create_app() -> PluginMiddleware:
    """uvicorn's factory: the configuration named by ``GATEWAY_CONFIG``."""
    path = os.environ.get("GATEWAY_CONFIG") or str(Path(__file__).with_name("gateway.example.json"))
    app, _ = build(load_config(path))
    return app
