"""``runtime new``: a plugin directory that passes ``runtime validate`` and its own test."""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["scaffold", "CAPABILITY_HOOK_TYPES"]

#: The AI Studio hook type each capability declares in the manifest (None: no hook type).
CAPABILITY_HOOK_TYPES: dict[str, str | None] = {
    "PreAuthHandler": "pre_auth", "AuthHandler": "auth", "PostAuthHandler": "post_auth",
    "ResponseHandler": "on_response", "StreamCompleteHandler": "on_response",
    "DataCollector": "data_collection", "CustomEndpointHandler": "custom_endpoint",
    "UIProvider": "studio_ui", "PortalUIProvider": "portal_ui", "AgentPlugin": "agent",
    "ObjectHookHandler": "object_hooks", "ResourceProvider": "resource_provider",
    "ConfigProvider": None, "ManifestProvider": None, "SchedulerPlugin": None,
    "EdgePayloadReceiver": None, "SessionAware": None, "EventSubscriber": None,
}

_METHODS: dict[str, str] = {
    "PreAuthHandler": '''
    def handle_pre_auth(self, ctx: Context, req: M.PluginRequest) -> M.PluginResponse:
        return M.PluginResponse()  # let the request pass unchanged
''',
    "AuthHandler": '''
    def handle_auth(self, ctx: Context, req: M.AuthRequest) -> M.AuthResponse:
        return M.AuthResponse(authenticated=False, error_message="unknown credential")

    def get_app_by_credential(self, ctx: Context, credential: str) -> M.App:
        raise LookupError("unknown credential")

    def get_user_by_credential(self, ctx: Context, credential: str) -> M.User:
        raise LookupError("unknown credential")
''',
    "PostAuthHandler": '''
    def handle_post_auth(self, ctx: Context, req: M.EnrichedRequest) -> M.PluginResponse:
        return M.PluginResponse()  # let the request pass unchanged
''',
    "ResponseHandler": '''
    def on_before_write_headers(self, ctx: Context, req: M.HeadersRequest) -> M.HeadersResponse:
        return M.HeadersResponse()

    def on_before_write(self, ctx: Context, req: M.ResponseWriteRequest) -> M.ResponseWriteResponse:
        return M.ResponseWriteResponse()
''',
    "StreamCompleteHandler": '''
    def on_stream_complete(self, ctx: Context, req: M.StreamCompleteRequest) -> M.StreamCompleteResponse:
        return M.StreamCompleteResponse(handled=True)
''',
    "DataCollector": '''
    def handle_proxy_log(self, ctx: Context, req: M.ProxyLogRequest) -> M.DataCollectionResponse:
        return M.DataCollectionResponse(success=True, handled=True)

    def handle_analytics(self, ctx: Context, req: M.AnalyticsRequest) -> M.DataCollectionResponse:
        return M.DataCollectionResponse(success=True, handled=True)

    def handle_budget_usage(self, ctx: Context, req: M.BudgetUsageRequest) -> M.DataCollectionResponse:
        return M.DataCollectionResponse(success=True, handled=True)
''',
    "CustomEndpointHandler": '''
    def get_endpoint_registrations(self) -> list[M.EndpointRegistration]:
        return [M.EndpointRegistration(path="/hello", methods=["GET"])]

    def handle_endpoint_request(self, ctx: Context, req: M.EndpointRequest) -> M.EndpointResponse:
        return M.EndpointResponse(status_code=200, headers={"content-type": "text/plain"},
                                  body=b"hello")
''',
    "UIProvider": '''
    def get_asset(self, asset_path: str) -> tuple[bytes, str]:
        raise LookupError(f"no asset {asset_path}")

    def list_assets(self, path_prefix: str) -> list[M.AssetInfo]:
        return []

    def get_manifest(self) -> dict[str, object]:
        return {}

    def handle_rpc(self, method: str, payload: str) -> dict[str, object]:
        return {"method": method}
''',
    "PortalUIProvider": '''
    def handle_portal_rpc(self, method: str, payload: str, user: M.PortalUserContext) -> dict[str, object]:
        return {"method": method, "user": user.email}
''',
    "ConfigProvider": '''
    def get_config_schema(self) -> dict[str, object]:
        return {"type": "object", "properties": {}}
''',
    "ManifestProvider": '''
    def get_manifest(self) -> dict[str, object]:
        return {}
''',
    "AgentPlugin": '''
    def handle_agent_message(self, ctx: Context, req: M.AgentMessageRequest,
                             stream: ChunkStream[M.AgentMessageChunk]) -> None:
        stream.send(M.AgentMessageChunk(type=M.AgentMessageChunk.ChunkType.CONTENT,
                                        content=req.user_message))
        stream.send(M.AgentMessageChunk(type=M.AgentMessageChunk.ChunkType.DONE, is_final=True))
''',
    "ObjectHookHandler": '''
    def get_object_hook_registrations(self) -> list[M.ObjectHookRegistration]:
        return [M.ObjectHookRegistration(object_type="llm", hook_types=["before_create"])]

    def handle_object_hook(self, ctx: Context, req: M.ObjectHookRequest) -> M.ObjectHookResponse:
        return M.ObjectHookResponse(allow_operation=True)
''',
    "SchedulerPlugin": '''
    def execute_scheduled_task(self, ctx: Context, schedule: M.ScheduleDefinition,
                               config: dict[str, object]) -> None:
        ctx.services.logger.info("scheduled task ran", schedule=schedule.id)
''',
    "EdgePayloadReceiver": '''
    def accept_edge_payload(self, ctx: Context, payload: M.EdgePayloadRequest) -> bool:
        return True
''',
    "ResourceProvider": '''
    def get_resource_type_registrations(self) -> list[M.ResourceTypeRegistrationProto]:
        return []

    def list_resource_instances(self, ctx: Context, resource_type_slug: str) -> list[M.ResourceInstanceProto]:
        return []

    def get_resource_instance(self, ctx: Context, resource_type_slug: str,
                              instance_id: str) -> M.ResourceInstanceProto:
        raise LookupError(instance_id)

    def validate_resource_selection(self, ctx: Context, resource_type_slug: str,
                                    instance_ids: list[str], app_id: int) -> None:
        return None

    def create_resource_instance(self, ctx: Context, resource_type_slug: str,
                                 payload: bytes) -> M.ResourceInstanceProto:
        raise ValueError("creating instances is not supported")
''',
    "SessionAware": '''
    def on_session_ready(self, ctx: Context) -> None:
        ctx.services.logger.info("session ready")

    def on_session_closing(self, ctx: Context) -> None:
        ctx.services.logger.info("session closing")
''',
    "EventSubscriber": '''
    def on_event(self, ctx: Context, event: Event) -> None:
        ctx.services.logger.info("event", topic=event.topic)
''',
}


def scaffold(name: str, capabilities: tuple[str, ...], parent: Path) -> Path:
    """Create ``parent/name`` with a manifest, a plugin, a test and a README.

    Raises:
        ValueError: an unknown capability, a bad name, no capability with a hook type, or
            an existing directory.
    """
    if not re.match(r"^[a-z][a-z0-9_-]{0,62}$", name):
        raise ValueError(f"plugin name {name!r} must be lowercase letters, digits, '-' or '_'")
    unknown = [c for c in capabilities if c not in CAPABILITY_HOOK_TYPES]
    if unknown:
        raise ValueError(f"unknown capability {unknown}; choose from {sorted(CAPABILITY_HOOK_TYPES)}")
    caps = list(dict.fromkeys(capabilities))
    hooks = list(dict.fromkeys(h for c in caps if (h := CAPABILITY_HOOK_TYPES[c])))
    if not hooks:
        raise ValueError("add at least one capability with an AI Studio hook type "
                         "(e.g. PostAuthHandler, UIProvider, AgentPlugin)")
    if "UIProvider" in caps and "ManifestProvider" in caps:
        caps.remove("ManifestProvider")  # UIProvider already provides get_manifest
    target = parent / name
    if target.exists():
        raise ValueError(f"{target} already exists")
    target.mkdir(parents=True)
    class_name = "".join(p.capitalize() for p in re.split(r"[-_]", name)) + "Plugin"
    manifest = {
        "id": f"com.example.{name}", "version": "0.1.0", "name": name,
        "description": f"The {name} plugin.",
        "capabilities": {"hooks": hooks, "primary_hook": hooks[0]},
        "permissions": {"services": []},
        "sandbox": {"entry": "plugin:create_plugin"},
    }
    (target / "plugin-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    bases = ", ".join(["BasePlugin", *caps])
    methods = "".join(_METHODS[c] for c in caps)
    (target / "plugin.py").write_text(f'''"""{name}: a gateway plugin."""

from __future__ import annotations

from guest_sdk import {", ".join(sorted({"BasePlugin", "ChunkStream", "Context", "Event", *caps}))}
from guest_sdk import messages as M


class {class_name}({bases}):
    def __init__(self) -> None:
        super().__init__("{name}", "0.1.0", "The {name} plugin")

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.config = dict(config)  # runs on every instance: keep it idempotent
{methods}

def create_plugin() -> {class_name}:
    return {class_name}()
''')
    (target / f"test_{name.replace('-', '_')}.py").write_text(f'''"""Tests of {name}, through the real ABI with fake services."""

from pathlib import Path

from guest_sdk.testing import harness_for

HERE = Path(__file__).parent


def test_it_loads_with_its_capabilities() -> None:
    h = harness_for(HERE)
    assert set(h.capabilities) >= {set(caps)!r}
''')
    (target / "README.md").write_text(f"# {name}\n\nCapabilities: {', '.join(caps)}.\n\n"
                                      f"    runtime validate {name}\n    pytest {name}\n")
    return target
