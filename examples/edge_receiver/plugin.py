"""Edge receiver: the control-plane half of a plugin whose edge half reports in.

Edge gateways running this plugin queue payloads for the control plane
(``gateway.send_to_control``); AI Studio hands each one to ``accept_edge_payload`` here.
A payload is a JSON object with a ``kind``:

* ``usage``: ``{"kind": "usage", "requests": 12, "tokens": 3400, ...}``, the counts of
  one reporting period (non-negative integers). The newest report per edge is kept in
  ``edge:<edge id>:usage``, and every report adds its ``tokens`` to the namespace's total
  ``namespace:<namespace>:tokens``.
* ``heartbeat``: ``{"kind": "heartbeat", "version": "1.2.0", ...}``, kept in
  ``edge:<edge id>:heartbeat``.

"Newest" goes by the edge's own timestamp, so a payload that arrives late never
replaces a fresher one. Every accepted payload counts in
``namespace:<namespace>:payloads`` (``default`` for the empty namespace) and answers
``handled=true``. A payload that is not JSON, has an unknown kind, bad counts or no edge
id is logged and answered ``handled=false``, so the host can tell it was not used.

The plugin declares the ``studio_ui`` hook only so that Studio knows and loads it
(``ManifestProvider`` answers the manifest); it serves no UI.
"""

from __future__ import annotations

import json
from typing import Any

from guest_sdk import BasePlugin, Context, EdgePayloadReceiver, ManifestProvider
from guest_sdk.messages import EdgePayloadRequest

KINDS = ("usage", "heartbeat")

#: The AI Studio manifest, as GetManifest answers it (plugin-manifest.json without ``sandbox``).
MANIFEST: dict[str, Any] = {
    "id": "com.example.edge-receiver",
    "version": "1.0.0",
    "name": "Edge Receiver",
    "description": "Receives usage reports and heartbeats from edge gateways and keeps the "
                   "newest per edge, with per-namespace counts, in KV.",
    "capabilities": {"hooks": ["studio_ui"], "primary_hook": "studio_ui"},
    "permissions": {"services": ["kv.readwrite"]},
}


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class EdgeReceiver(BasePlugin, EdgePayloadReceiver, ManifestProvider):
    def __init__(self) -> None:
        super().__init__("edge-receiver", "1.0.0", "Keeps the newest report of every edge")

    def get_manifest(self) -> dict[str, Any]:
        return MANIFEST

    def _refuse(self, ctx: Context, payload: EdgePayloadRequest, reason: str) -> bool:
        ctx.services.logger.warn("edge payload not handled", reason=reason, edge_id=payload.edge_id,
                                 correlation_id=payload.correlation_id)
        return False

    def accept_edge_payload(self, ctx: Context, payload: EdgePayloadRequest) -> bool:
        if not payload.edge_id:
            return self._refuse(ctx, payload, "no edge id")
        try:
            doc = json.loads(payload.payload)
        except ValueError:
            return self._refuse(ctx, payload, "the payload is not JSON")
        if not isinstance(doc, dict):
            return self._refuse(ctx, payload, "the payload is not a JSON object")
        kind = doc.get("kind")
        if kind not in KINDS:
            return self._refuse(ctx, payload, f"unknown kind {kind!r}")
        if kind == "usage" and not all(_count(doc.get(k, 0)) for k in ("requests", "tokens")):
            return self._refuse(ctx, payload, "requests and tokens must be non-negative integers")

        kv = ctx.services.kv
        namespace = payload.edge_namespace or "default"
        payloads = kv.increment(f"namespace:{namespace}:payloads")
        if kind == "usage" and doc.get("tokens"):  # each report covers its own period: always add
            kv.increment(f"namespace:{namespace}:tokens", doc["tokens"])
        key = f"edge:{payload.edge_id}:{kind}"
        stored = kv.get(key)
        if stored is not None and json.loads(stored)["edge_timestamp"] > payload.edge_timestamp:
            ctx.services.logger.info("older edge payload counted, not stored", edge_id=payload.edge_id,
                                     kind=kind)
            return True
        record = {"edge_id": payload.edge_id, "edge_namespace": payload.edge_namespace,
                  "correlation_id": payload.correlation_id, "edge_timestamp": payload.edge_timestamp,
                  "received_timestamp": payload.received_timestamp, "data": doc}
        kv.write(key, json.dumps(record, sort_keys=True))
        ctx.services.logger.info("edge payload stored", edge_id=payload.edge_id, kind=kind,
                                 namespace=namespace, payloads=payloads)
        return True


def create_plugin() -> EdgeReceiver:
    return EdgeReceiver()
