"""The llm_validator example, through the test harness and through `runtime call`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import harness_for
from runtime.cli.main import cli

HERE = Path(__file__).parent
MAY_1 = 1714550400  # 2024-05-01T08:00:00Z
GOOD = {"name": "GPT-4o", "vendor": "openai", "api_endpoint": "https://api.openai.com/v1",
        "privacy_score": 60, "short_description": "General purpose model"}
CONFIG = {"blocked_vendors": ["DeepShady"], "min_privacy_score": 50, "validator_name": "acme-checks"}


def _hook(llm: dict[str, Any] | str, hook_type: str = "before_create", object_type: str = "llm") -> M.ObjectHookRequest:
    return M.ObjectHookRequest(hook_type=hook_type, object_type=object_type, operation_id="op-1",
                               timestamp=MAY_1,
                               object_json=llm if isinstance(llm, str) else json.dumps(llm))


def test_registers_before_create_and_update_of_llms() -> None:
    h = harness_for(HERE, config={"priority": 5})
    regs = h.call("get_object_hook_registrations").registrations
    assert regs == [M.ObjectHookRegistration(object_type="llm", hook_types=["before_create", "before_update"],
                                             priority=5)]


def test_a_good_llm_is_allowed_and_stamped_without_modification() -> None:
    h = harness_for(HERE, config=CONFIG)
    for hook_type in ("before_create", "before_update"):
        resp = h.call("handle_object_hook", _hook(GOOD, hook_type))
        assert resp.allow_operation and not resp.modified and resp.modified_object_json == ""
        assert resp.plugin_metadata == {"validated_by": "acme-checks", "validated_at": "2024-05-01T08:00:00Z"}


def test_an_allowed_llm_is_normalised() -> None:
    h = harness_for(HERE, config=CONFIG)
    messy = {**GOOD, "name": "  GPT-4o \t", "api_endpoint": "https://api.openai.com/v1//", "extra": [1]}
    resp = h.call("handle_object_hook", _hook(messy))
    assert resp.allow_operation and resp.modified
    assert json.loads(resp.modified_object_json) == {**GOOD, "extra": [1]}
    assert resp.plugin_metadata["validated_by"] == "acme-checks"


def test_each_rule_rejects_with_its_own_reason() -> None:
    h = harness_for(HERE, config=CONFIG)
    cases = {
        "api_endpoint must be an https:// URL, got 'http://api.openai.com/v1'":
            {**GOOD, "api_endpoint": "http://api.openai.com/v1"},
        "api_endpoint must be an https:// URL, got 'https:///v1'": {**GOOD, "api_endpoint": "https:///v1"},
        "vendor 'deepshady' is blocked": {**GOOD, "vendor": "deepshady"},
        "privacy_score 49 is under the minimum of 50": {**GOOD, "privacy_score": 49},
        "privacy_score must be an integer": {**GOOD, "privacy_score": "high"},
        "a description is required": {**GOOD, "short_description": "  "},
    }
    for reason, llm in cases.items():
        resp = h.call("handle_object_hook", _hook(llm))
        assert not resp.allow_operation and resp.rejection_reason == reason
        assert resp.plugin_metadata == {} and not resp.modified
    assert len(h.logs) == len(cases) and h.logs[0].message == "LLM rejected"


def test_every_problem_is_reported_at_once() -> None:
    h = harness_for(HERE, config=CONFIG)
    resp = h.call("handle_object_hook", _hook({"name": "x", "vendor": "DeepShady", "privacy_score": 1}))
    assert resp.rejection_reason == ("api_endpoint must be an https:// URL, got ''; vendor 'DeepShady' is "
                                     "blocked; privacy_score 1 is under the minimum of 50; a description "
                                     "is required")


def test_a_long_description_also_counts_and_defaults_accept_any_score() -> None:
    h = harness_for(HERE)
    llm = {"name": "m", "api_endpoint": "https://m.example", "long_description": "Local model"}
    assert h.call("handle_object_hook", _hook(llm)).allow_operation


def test_other_objects_and_bad_json() -> None:
    h = harness_for(HERE, config=CONFIG)
    other = h.call("handle_object_hook", _hook({"name": "t"}, object_type="tool"))
    assert other.allow_operation and other.message == "not validated by this plugin"
    after = h.call("handle_object_hook", _hook({"name": "t"}, hook_type="after_create"))
    assert after.allow_operation and after.plugin_metadata == {}
    bad = h.call("handle_object_hook", _hook("[1, 2]"))
    assert not bad.allow_operation and bad.rejection_reason == "the LLM object is not a JSON object"


def test_manifest_and_schema_match_the_files() -> None:
    h = harness_for(HERE)
    on_disk = json.loads((HERE / "plugin-manifest.json").read_text())
    del on_disk["sandbox"]
    assert json.loads(h.call("get_manifest").manifest_json) == on_disk
    schema = json.loads(h.call("get_config_schema").schema_json)
    assert schema == json.loads((HERE / "config.schema.json").read_text())


def test_runtime_call_rejects_a_plain_http_endpoint() -> None:
    request = {"hookType": "before_create", "objectType": "llm", "operationId": "op-9",
               "timestamp": str(MAY_1), "objectJson": json.dumps({**GOOD, "api_endpoint": "http://x.example"})}
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "handle_object_hook", "--tier", "inprocess",
                                      "--ephemeral", "--runtime", "studio", "--config",
                                      "blocked_vendors=[\"deepshady\"]", "--input", "-"],
                                input=json.dumps(request))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0]) == {
        "allow_operation": False, "rejection_reason": "api_endpoint must be an https:// URL, got 'http://x.example'",
        "modified_object_json": "", "plugin_metadata": {}, "message": "", "modified": False}
