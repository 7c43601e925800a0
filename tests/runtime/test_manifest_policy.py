"""Manifests and the operator's policy: errors name the file and the field; grants only shrink."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from host_abi.hooks import FailPolicy, hook_by_name
from runtime.errors import ManifestError, PolicyError
from runtime.manifest import MANIFEST_FILE, load_manifest
from runtime.policy import Policy, detect_runtime, effective_settings, load_policy, policy_from_dict

BASE = {"id": "com.example.x", "version": "1.0.0", "name": "X",
        "capabilities": {"hooks": ["post_auth"]}, "sandbox": {"entry": "plugin:create_plugin"}}


def make(tmp_path: Path, manifest: dict | str, source: str = "def create_plugin(): pass\n") -> Path:
    d = tmp_path / "plug"
    d.mkdir(exist_ok=True)
    (d / MANIFEST_FILE).write_text(manifest if isinstance(manifest, str) else json.dumps(manifest))
    (d / "plugin.py").write_text(source)
    return d


def test_valid_manifest(tmp_path: Path) -> None:
    m = load_manifest(make(tmp_path, {**BASE, "permissions": {"services": ["kv.readwrite"]},
                                      "compat": {"app": ">=2.6"}, "plugin_type": "gateway"}))
    assert (m.entry_module, m.entry_factory) == ("plugin", "create_plugin")
    assert m.requested_scopes == {"kv.readwrite"}
    assert m.unknown_keys == ("plugin_type",)
    assert "sandbox" not in json.loads(m.studio_manifest_json())


@pytest.mark.parametrize("manifest,needle", [
    ("{not json", "not valid JSON at line 1"),
    ({**BASE, "version": 3}, "field version"),
    ({k: v for k, v in BASE.items() if k != "sandbox"}, "'sandbox' is a required property"),
    ({**BASE, "capabilities": {"hooks": ["pre_auth", "teleport"]}}, "field capabilities.hooks[1]"),
    ({**BASE, "capabilities": {"hooks": []}}, "field capabilities.hooks"),
    ({**BASE, "sandbox": {"entry": "plugin"}}, "field sandbox.entry"),
    ({**BASE, "sandbox": {"entry": "plugin:f", "tier": "inprocess"}}, "field sandbox"),
    ({**BASE, "sandbox": {"entry": "plugin:f", "identity": "other"}}, "field sandbox"),
    ({**BASE, "sandbox": {"entry": "missing:f"}}, "module 'missing' not found"),
    ({**BASE, "permissions": {"services": ["root.everything"]}}, "permissions.services[0]"),
    ({**BASE, "permissions": {"services": ["analytics.read"]}}, "never granted"),
    ({**BASE, "capabilities": {"hooks": ["auth"], "primary_hook": "post_auth"}}, "primary_hook"),
    ({**BASE, "sandbox": {"entry": "plugin:f", "fail_policy": {"auth": "open"}}}, "sandbox.fail_policy.auth"),
    ({**BASE, "sandbox": {"entry": "plugin:f", "config_schema": "../x.json"}}, "outside the plugin"),
])
def test_bad_manifests_name_file_and_field(tmp_path: Path, manifest: object, needle: str) -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(make(tmp_path, manifest))  # type: ignore[arg-type]
    assert str(tmp_path / "plug" / MANIFEST_FILE) in info.value.message
    assert needle in info.value.message
    assert info.value.code == "MANIFEST_INVALID"


def test_syntax_error_found_without_running_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    src = f"open({str(marker)!r}, 'w').write('x')\ndef broken(:\n"
    with pytest.raises(ManifestError) as info:
        load_manifest(make(tmp_path, BASE, src))
    assert "syntax error" in info.value.message and not marker.exists()
    load_manifest(make(tmp_path, BASE, f"open({str(marker)!r}, 'w').write('x')\n"))
    assert not marker.exists()  # validation compiles, never imports


def test_plugin_json_hint(tmp_path: Path) -> None:
    d = tmp_path / "p"
    d.mkdir()
    (d / "plugin.json").write_text("{}")
    with pytest.raises(ManifestError, match="packaging file"):
        load_manifest(d)


def test_grants_intersect_requests(tmp_path: Path) -> None:
    m = load_manifest(make(tmp_path, {**BASE, "permissions": {"services": ["kv.readwrite"]}}))
    eff = effective_settings(m, Policy(), "plug")
    assert eff.scopes == {"kv.readwrite"}  # events are granted by default but not requested
    assert eff.tier == "wasm" and eff.trust == "untrusted"


def test_requesting_more_than_granted_is_refused(tmp_path: Path) -> None:
    m = load_manifest(make(tmp_path, {**BASE, "permissions": {"services": ["apps.write", "kv.readwrite"]}}))
    with pytest.raises(PolicyError) as info:
        effective_settings(m, Policy(), "plug")
    assert info.value.code == "POLICY_DENIED" and "apps.write" in info.value.message
    policy = policy_from_dict({"version": 1, "plugins": {"plug": {"grants": ["apps.write", "kv.readwrite"]}}})
    assert effective_settings(m, policy, "plug").scopes == {"apps.write", "kv.readwrite"}
    assert effective_settings(m, Policy(), "plug", extra_grants=frozenset({"apps.write"})).scopes == \
        {"apps.write", "kv.readwrite"}


def test_limits_take_the_lower_of_request_and_policy(tmp_path: Path) -> None:
    m = load_manifest(make(tmp_path, {**BASE, "sandbox": {"entry": "plugin:f",
                                                          "limits": {"timeout_ms": 5000, "max_host_calls": 3}}}))
    policy = policy_from_dict({"version": 1, "defaults": {"limits": {"timeout_ms": 100}}})
    eff = effective_settings(m, policy, "plug")
    assert eff.limits.timeout_ms == 100 and eff.limits.max_host_calls == 3


def test_fail_policy_choices(tmp_path: Path) -> None:
    m = load_manifest(make(tmp_path, {**BASE, "sandbox": {"entry": "plugin:f",
                                                          "fail_policy": {"post_auth": "open"}}}))
    post = hook_by_name("process_post_auth")
    assert post is not None
    assert effective_settings(m, Policy(), "plug").fail_policy_for(post) is FailPolicy.OPEN
    policy = policy_from_dict({"version": 1, "plugins": {"plug": {"fail_policy": {"post_auth": "closed"}}}})
    assert effective_settings(m, policy, "plug").fail_policy_for(post) is FailPolicy.CLOSED
    bad = policy_from_dict({"version": 1, "plugins": {"plug": {"fail_policy": {"auth": "open"}}}})
    with pytest.raises(PolicyError, match="not allowed"):
        effective_settings(m, bad, "plug")


@pytest.mark.parametrize("doc,needle", [
    ({"version": 2}, "field version"),
    ({"version": 1, "plugins": {"Bad Name": {}}}, "field plugins"),
    ({"version": 1, "plugins": {"p": {"tier": "docker"}}}, "field plugins.p.tier"),
    ({"version": 1, "plugins": {"p": {"grants": ["sudo"]}}}, "field plugins.p.grants.0"),
    ({"version": 1, "defaults": {"limits": {"timeout_ms": 0}}}, "field defaults.limits.timeout_ms"),
    ({"version": 1, "surprise": 1}, "top level"),
])
def test_bad_policies_name_the_field(doc: dict, needle: str) -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_dict(doc, "ops.json")
    assert info.value.message.startswith("ops.json: ") and needle in info.value.message


def test_policy_file_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "none.json")
    (tmp_path / "p.json").write_text("{")
    with pytest.raises(PolicyError, match="not valid JSON"):
        load_policy(tmp_path / "p.json")


def test_identity_comes_from_the_operator(tmp_path: Path) -> None:
    m = load_manifest(make(tmp_path, BASE))
    with pytest.raises(PolicyError, match="identity"):
        effective_settings(m, Policy(), "../escape")
    assert effective_settings(m, Policy(), "tenant-a.enricher").identity == "tenant-a.enricher"


@pytest.mark.parametrize("env,expected", [
    ({}, "studio"), ({"PLUGIN_RUNTIME": "gateway"}, "gateway"),
    ({"PLUGIN_RUNTIME": "studio", "GATEWAY_MODE": "edge"}, "studio"),
    ({"GATEWAY_MODE": "edge"}, "gateway"), ({"GATEWAY_MODE": "standalone_gateway"}, "gateway"),
    ({"GATEWAY_MODE": "control"}, "studio"), ({"MICROGATEWAY_MODE": "standalone"}, "gateway"),
])
def test_runtime_detection_as_the_go_sdk(env: dict[str, str], expected: str) -> None:
    assert detect_runtime(env) == expected
