"""The resource_provider example, through the test harness and through `runtime call`."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import PluginHarness, harness_for
from runtime.cli.main import cli

HERE = Path(__file__).parent
KB = "knowledge-base"


def create(h: PluginHarness, payload: Any, slug: str = KB) -> M.CreateResourceInstanceResponse:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    resp: M.CreateResourceInstanceResponse = h.call("create_resource_instance", M.CreateResourceInstanceRequest(
        resource_type_slug=slug, payload=data, context=M.PluginContext(user_id=3)))
    return resp


def validate(h: PluginHarness, ids: list[str], app_id: int = 11) -> M.ValidateResourceSelectionResponse:
    resp: M.ValidateResourceSelectionResponse = h.call("validate_resource_selection", M.ValidateResourceSelectionRequest(
        resource_type_slug=KB, instance_ids=ids, app_id=app_id))
    return resp


def test_the_resource_type_matches_the_manifest() -> None:
    regs = harness_for(HERE).call("get_resource_type_registrations").registrations
    manifest = json.loads((HERE / "plugin-manifest.json").read_text())
    assert [r.to_wire() for r in regs] == manifest["resource_types"]


def test_create_list_and_get() -> None:
    h = harness_for(HERE)
    made = create(h, {"name": " Product Docs ", "description": "Manuals", "privacy_score": 40})
    assert made.success and made.instance is not None
    inst = made.instance
    assert (inst.id, inst.name, inst.description, inst.privacy_score, inst.is_active) == (
        "product-docs", "Product Docs", "Manuals", 40, True)
    assert json.loads(inst.metadata)["created_by"] == 3
    create(h, {"name": "HR policies", "privacy_score": 90})
    listed = h.call("list_resource_instances", M.ListResourceInstancesRequest(resource_type_slug=KB))
    assert [(i.id, i.privacy_score) for i in listed.instances] == [("product-docs", 40), ("hr-policies", 90)]
    got = h.call("get_resource_instance", M.GetResourceInstanceRequest(resource_type_slug=KB,
                                                                        instance_id="hr-policies"))
    assert got.success and got.instance.name == "HR policies" and got.instance.description == ""
    assert json.loads(h.kv["kb:index"]) == ["product-docs", "hr-policies"]


def test_create_validates_the_payload() -> None:
    h = harness_for(HERE)
    create(h, {"name": "Docs", "privacy_score": 10})
    cases = [
        (b"not json", "the payload must be a JSON object"),
        (["Docs"], "the payload must be a JSON object"),
        ({"name": "", "privacy_score": 1}, "name must be 1-100 characters"),
        ({"name": "!!!", "privacy_score": 1}, "name must be 1-100 characters"),
        ({"name": "x" * 101, "privacy_score": 1}, "name must be 1-100 characters"),
        ({"name": "A", "privacy_score": 101}, "privacy_score must be an integer from 0 to 100"),
        ({"name": "A", "privacy_score": True}, "privacy_score must be an integer from 0 to 100"),
        ({"name": "A"}, "privacy_score must be an integer from 0 to 100"),
        ({"name": "A", "privacy_score": 1, "description": 5}, "description must be a string"),
        ({"name": "docs!", "privacy_score": 1}, "a knowledge base 'docs' already exists"),
    ]
    for payload, message in cases:
        resp = create(h, payload)
        assert not resp.success and resp.instance is None
        assert message in resp.error_message, (payload, resp.error_message)
    assert json.loads(h.kv["kb:index"]) == ["docs"]


def test_unknown_type_and_instance() -> None:
    h = harness_for(HERE)
    assert "unknown resource type 'vector-db'" in create(h, {"name": "A", "privacy_score": 1},
                                                         slug="vector-db").error_message
    listed = h.call("list_resource_instances", M.ListResourceInstancesRequest(resource_type_slug="vector-db"))
    assert not listed.success and "unknown resource type" in listed.error_message
    got = h.call("get_resource_instance", M.GetResourceInstanceRequest(resource_type_slug=KB, instance_id="nope"))
    assert not got.success and got.error_message == "no knowledge base 'nope'"


def test_selection_refuses_unknown_ids_and_scores_above_the_maximum() -> None:
    h = harness_for(HERE, config={"max_privacy_score": 50})
    for name, score in (("Public", 10), ("Edge", 50), ("Secret", 51), ("Vault", 99)):
        assert create(h, {"name": name, "privacy_score": score}).success
    assert validate(h, ["public", "edge"]) == M.ValidateResourceSelectionResponse(valid=True)
    assert validate(h, []).valid
    resp = validate(h, ["public", "ghost", "secret", "vault"], app_id=11)
    assert not resp.valid
    assert resp.error_message == ("app 11: unknown knowledge bases: ghost; privacy score above 50: "
                                  "secret (51), vault (99)")


def test_state_is_shared_by_instances() -> None:
    first, second = harness_for(HERE), harness_for(HERE)
    second.kv = first.kv
    create(first, {"name": "Shared", "privacy_score": 5})
    assert validate(second, ["shared"]).valid


def test_schema_matches_the_file() -> None:
    schema = json.loads(harness_for(HERE).call("get_config_schema").schema_json)
    assert schema == json.loads((HERE / "config.schema.json").read_text())


def _cli(hook: str, request: dict[str, Any], state: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", hook, "--tier", "inprocess", "--runtime",
                                      "studio", "--state-dir", str(state), "--config", "max_privacy_score=30",
                                      "--input", "-"], input=json.dumps(request))
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout.splitlines()[0]))


def test_runtime_call_create_then_validate(tmp_path: Path) -> None:
    payload = base64.b64encode(json.dumps({"name": "Wiki", "privacy_score": 35}).encode()).decode()
    created = _cli("create_resource_instance", {"resourceTypeSlug": KB, "payload": payload}, tmp_path)
    assert created["success"] is True and created["instance"]["id"] == "wiki"
    assert created["instance"]["privacy_score"] == 35
    verdict = _cli("validate_resource_selection", {"resourceTypeSlug": KB, "instanceIds": ["wiki"],
                                                   "appId": 4}, tmp_path)
    assert verdict == {"valid": False, "error_message": "app 4: privacy score above 30: wiki (35)"}
