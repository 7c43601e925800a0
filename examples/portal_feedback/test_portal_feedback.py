"""The portal_feedback example, through the test harness and through `runtime call`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from guest_sdk import messages as M
from guest_sdk.testing import PluginHarness, harness_for
from runtime.cli.main import cli

HERE = Path(__file__).parent
ANA = M.PortalUserContext(user_id=7, email="ana@example.com", name="Ana")
BOB = M.PortalUserContext(user_id=8, email="bob@example.com", name="Bob")


def portal(h: PluginHarness, method: str, payload: Any, user: M.PortalUserContext = ANA) -> Any:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    resp = h.call("portal_call", M.PortalCallRequest(method=method, payload=text, user_context=user))
    assert resp.success, resp.error_message
    return json.loads(resp.data)


def admin(h: PluginHarness, method: str, payload: Any = "") -> Any:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    resp = h.call("call", M.CallRequest(method=method, payload=text))
    assert resp.success, resp.error_message
    return json.loads(resp.data)


def test_users_submit_and_see_only_their_own_feedback() -> None:
    h = harness_for(HERE)
    first = portal(h, "submit", {"text": "  Great portal ", "rating": 5})
    assert first["ok"] is True
    assert {k: first["item"][k] for k in ("id", "user_id", "user_email", "user_name", "text", "rating")} == {
        "id": 1, "user_id": 7, "user_email": "ana@example.com", "user_name": "Ana",
        "text": "Great portal", "rating": 5}
    portal(h, "submit", {"text": "Slow", "rating": 2}, BOB)
    portal(h, "submit", {"text": "Better now", "rating": 4})
    mine = portal(h, "list_mine", "")
    assert [(i["id"], i["text"]) for i in mine["items"]] == [(3, "Better now"), (1, "Great portal")]
    assert [i["text"] for i in portal(h, "list_mine", {}, BOB)["items"]] == ["Slow"]
    assert json.loads(h.kv["feedback:user:7"]) == [1, 3] and h.kv["feedback:seq"] == b"3"


def test_bad_input_answers_a_json_error() -> None:
    h = harness_for(HERE, config={"max_text_length": 10})
    cases = [
        ("submit", {"text": "", "rating": 3}, "invalid_payload", "text must be a non-empty string"),
        ("submit", {"text": "x" * 11, "rating": 3}, "invalid_payload", "text is longer than 10 characters"),
        ("submit", {"text": "ok", "rating": 6}, "invalid_payload", "rating must be an integer from 1 to 5"),
        ("submit", {"text": "ok", "rating": True}, "invalid_payload", "rating must be an integer from 1 to 5"),
        ("submit", {"text": "ok", "rating": "5"}, "invalid_payload", "rating must be an integer from 1 to 5"),
        ("submit", "[1]", "invalid_payload", "the payload must be a JSON object"),
        ("submit", "{not json", "invalid_payload", "the payload must be a JSON object"),
        ("vote", {}, "unknown_method", "unknown portal method 'vote'; use submit or list_mine"),
    ]
    for method, payload, code, message in cases:
        assert portal(h, method, payload) == {"error": {"code": code, "message": message}}
    anonymous = portal(h, "list_mine", {}, M.PortalUserContext())
    assert anonymous["error"]["code"] == "unauthenticated"
    assert h.kv == {}


def test_admins_list_everything_newest_first_with_paging_and_totals() -> None:
    h = harness_for(HERE)
    for i, rating in enumerate((5, 1, 4, 3), start=1):
        portal(h, "submit", {"text": f"note {i}", "rating": rating}, ANA if i % 2 else BOB)
    page = admin(h, "list_all", {"limit": 3})
    assert [i["id"] for i in page["items"]] == [4, 3, 2]
    assert page["next_before"] == 2 and page["total"] == 4 and page["average_rating"] == 3.25
    rest = admin(h, "list_all", {"limit": 3, "before": page["next_before"]})
    assert [i["id"] for i in rest["items"]] == [1] and rest["next_before"] is None
    assert admin(h, "list_all")["items"][0]["text"] == "note 4"  # empty payload: defaults
    assert admin(h, "list_all", {"limit": 0})["error"]["code"] == "invalid_payload"


def test_admins_delete_feedback_and_the_user_index_follows() -> None:
    h = harness_for(HERE)
    portal(h, "submit", {"text": "keep", "rating": 5})
    portal(h, "submit", {"text": "spam", "rating": 1})
    assert admin(h, "delete", {"id": 2}) == {"deleted": True}
    assert admin(h, "delete", {"id": 2}) == {"deleted": False}
    assert admin(h, "delete", {"id": "2"})["error"]["message"] == "id must be a positive integer"
    assert [i["text"] for i in portal(h, "list_mine", {})["items"]] == ["keep"]
    listing = admin(h, "list_all", {})
    assert [i["id"] for i in listing["items"]] == [1]
    assert listing["total"] == 1 and listing["average_rating"] == 5.0
    assert admin(h, "purge", {})["error"]["code"] == "unknown_method"


def test_state_is_shared_by_instances() -> None:
    first, second = harness_for(HERE), harness_for(HERE)
    second.kv = first.kv
    portal(first, "submit", {"text": "from one instance", "rating": 4})
    assert [i["text"] for i in portal(second, "list_mine", {})["items"]] == ["from one instance"]


def test_assets_and_manifest() -> None:
    h = harness_for(HERE)
    listed = h.call("list_assets", M.ListAssetsRequest(path_prefix="/ui/webc/")).assets
    assert [(a.path, a.mime_type) for a in listed] == [
        ("/ui/webc/feedback-admin.js", "application/javascript"),
        ("/ui/webc/feedback-form.js", "application/javascript")]
    asset = h.call("get_asset", M.GetAssetRequest(asset_path="/ui/webc/feedback-form.js"))
    assert asset.success and asset.content_length == len(asset.content) == listed[1].size
    assert b'customElements.define("feedback-form"' in asset.content
    missing = h.call("get_asset", M.GetAssetRequest(asset_path="/ui/nope.js"))
    assert not missing.success and "no asset /ui/nope.js" in missing.error_message
    assert h.call("list_assets", M.ListAssetsRequest(path_prefix="/img/")).assets == []
    manifest = json.loads(h.call("get_manifest").manifest_json)
    on_disk = json.loads((HERE / "plugin-manifest.json").read_text())
    del on_disk["sandbox"]
    assert manifest == on_disk
    assert manifest["portal"]["slots"][0]["items"][0]["mount"]["tag"] == "feedback-form"
    assert sorted(manifest["assets"]) == [a.path for a in listed]


def test_runtime_call_portal_submit() -> None:
    request = {"method": "submit", "payload": json.dumps({"text": "Nice", "rating": 4}),
               "userContext": {"userId": 7, "email": "ana@example.com"}}
    result = CliRunner().invoke(cli, ["call", str(HERE), "--hook", "portal_call", "--tier", "inprocess",
                                      "--ephemeral", "--runtime", "studio", "--input", "-"],
                                input=json.dumps(request))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.splitlines()[0])
    assert out["success"] is True and out["error_message"] == ""
    data = json.loads(out["data"])
    assert data["ok"] is True and data["item"]["id"] == 1 and data["item"]["user_id"] == 7
