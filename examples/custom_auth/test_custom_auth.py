"""The custom_auth example, through the test harness and through `runtime call`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import HookFailed, auth_request, harness_for
from host_abi.ops import DEFAULT_GRANTS
from runtime.cli.main import cli

HERE = Path(__file__).parent
TOKENS = {"tok-ana": {"app_id": 7, "user_id": 42, "email": "ana@example.com", "name": "Ana"},
          "tok-bob": {"app_id": 8, "user_id": 43}}
APPS = {"apps": [{"id": 7, "name": "Ana's app", "is_active": True, "owner_email": "ana@example.com",
                  "monthly_budget": 50.0, "metadata": {"tier": "gold"}}]}
WITH_APPS_READ = DEFAULT_GRANTS | {"apps.read"}


def test_known_token_authenticates_as_its_app_and_user() -> None:
    h = harness_for(HERE, config={"tokens": TOKENS})
    for credential in ("tok-ana", "Bearer tok-ana", "bearer  tok-ana "):
        resp = h.call("authenticate", auth_request(credential))
        assert resp == M.AuthResponse(authenticated=True, app_id="7", user_id="42",
                                      claims={"auth_method": "token"})
    assert h.call("authenticate", auth_request("tok-bob")).app_id == "8"


def test_unknown_missing_and_non_bearer_credentials_are_refused() -> None:
    h = harness_for(HERE, config={"tokens": TOKENS})
    resp = h.call("authenticate", auth_request("tok-eve"))
    assert not resp.authenticated and resp.app_id == "" and resp.claims == {}
    assert resp.error_message == "invalid or unknown token"
    assert [(r.level, r.message) for r in h.logs] == [("warn", "rejected an unknown token")]
    assert h.call("authenticate", auth_request("Bearer ")).error_message == "missing bearer token"
    basic = auth_request("tok-ana")
    basic.auth_type = "basic"
    assert not h.call("authenticate", basic).authenticated
    # a prefix of a known token is not a match
    assert not h.call("authenticate", auth_request("tok-an")).authenticated


def test_app_comes_from_the_gateway_when_granted() -> None:
    h = harness_for(HERE, config={"tokens": TOKENS}, grants=WITH_APPS_READ, fixtures=APPS)
    resp = h.call("get_app_by_credential", M.GetAppRequest(credential="Bearer tok-ana"))
    assert resp.success
    assert resp.app == M.App(id=7, name="Ana's app", is_active=True, owner_email="ana@example.com",
                             monthly_budget=50.0, metadata={"tier": "gold"})


def test_app_comes_from_studio_in_the_studio_runtime() -> None:
    h = harness_for(HERE, config={"tokens": TOKENS}, grants=WITH_APPS_READ, fixtures=APPS,
                    runtime="studio")
    resp = h.call("get_app_by_credential", M.GetAppRequest(credential="tok-ana"))
    assert resp.success and resp.app is not None and resp.app.name == "Ana's app"


def test_app_the_host_does_not_know_is_refused() -> None:
    h = harness_for(HERE, config={"tokens": TOKENS}, grants=WITH_APPS_READ, fixtures=APPS)
    resp = h.call("get_app_by_credential", M.GetAppRequest(credential="tok-bob"))
    assert not resp.success and resp.app is None
    assert "the token's app 8 does not exist" in resp.error_message


def test_app_falls_back_to_the_table_when_the_look_up_is_not_granted() -> None:
    h = harness_for(HERE, config={"tokens": TOKENS})  # default grants: no apps.read
    resp = h.call("get_app_by_credential", M.GetAppRequest(credential="tok-bob"))
    assert resp.success
    assert resp.app == M.App(id=8, name="app-8", is_active=True, metadata={"source": "token-table"})


def test_user_comes_from_the_table() -> None:
    h = harness_for(HERE, config={"tokens": TOKENS})
    ana = h.call("get_user_by_credential", M.GetUserRequest(credential="tok-ana"))
    assert ana.user == M.User(id=42, email="ana@example.com", name="Ana", is_active=True)
    bob = h.call("get_user_by_credential", M.GetUserRequest(credential="tok-bob"))
    assert bob.user == M.User(id=43, name="user-43", is_active=True)
    eve = h.call("get_user_by_credential", M.GetUserRequest(credential="tok-eve"))
    assert not eve.success and "unknown credential" in eve.error_message


def test_session_ready_logs_and_schema_matches_the_file() -> None:
    h = harness_for(HERE, config={"tokens": TOKENS})
    h.call("on_session_ready", {"session_id": "s-1"})
    assert h.logs[-1].message == "custom auth ready"
    assert h.logs[-1].fields == {"session_id": "s-1", "tokens": 2}
    schema = json.loads(h.call("get_config_schema").schema_json)
    assert schema == json.loads((HERE / "config.schema.json").read_text())


def test_a_token_table_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(HookFailed, match="tokens must be a JSON object"):
        harness_for(HERE, config={"tokens": ["tok-ana"]})


def _call(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["call", str(HERE), "--tier", "inprocess", "--ephemeral",
                                      "--runtime", "gateway", "--config", "tokens=" + json.dumps(TOKENS),
                                      *args])
    return result.exit_code, json.loads(result.stdout.splitlines()[0])


def test_runtime_call_authenticates(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(json.dumps({"credential": "Bearer tok-ana", "authType": "bearer"}))
    code, out = _call("--hook", "authenticate", "--grant", "apps.read", "--input", str(tmp_path / "in.json"))
    assert code == 0, out
    assert out == {"authenticated": True, "user_id": "42", "app_id": "7",
                   "claims": {"auth_method": "token"}, "error_message": ""}


def test_runtime_call_looks_the_app_up_in_the_fixtures(tmp_path: Path) -> None:
    (tmp_path / "fixtures.json").write_text(json.dumps(APPS))
    (tmp_path / "in.json").write_text(json.dumps({"credential": "tok-ana"}))
    code, out = _call("--hook", "get_app_by_credential", "--grant", "apps.read",
                      "--fixtures", str(tmp_path / "fixtures.json"), "--input", str(tmp_path / "in.json"))
    assert code == 0, out
    assert out["success"] is True
    assert out["app"]["name"] == "Ana's app" and out["app"]["metadata"] == {"tier": "gold"}


def test_runtime_call_refuses_to_load_without_the_requested_scope() -> None:
    code, out = _call("--hook", "authenticate")
    assert code == 1
    assert out["error"]["code"] == "POLICY_DENIED" and "apps.read" in out["error"]["message"]
