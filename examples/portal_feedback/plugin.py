"""Portal feedback: portal users send feedback, admins read and delete it.

Two RPC surfaces over one store in KV:

* **portal** (``handle_portal_rpc``, called with the portal user's identity):
  ``submit`` ``{"text", "rating"}`` stores a feedback item for that user; ``list_mine``
  answers the user's own items, newest first. The portal is not the admin UI, so the
  user id comes from the host's user context, never from the payload.
* **admin** (``handle_rpc``): ``list_all`` ``{"limit"?, "before"?}`` pages through
  every item, newest first, with totals; ``delete`` ``{"id"}`` removes one.

Bad input answers a JSON error object ``{"error": {"code", "message"}}`` rather than
raising, so the UI can show it. Items live in KV (``feedback:item:<id>``, ids from the
counter ``feedback:seq``), with a per-user index (``feedback:user:<user id>``) and two
counters for the totals; no ``kv.list`` is needed, which AI Studio has no RPC for.

UI RPC methods receive no ``Context``, so the plugin keeps the ``ctx.services`` it is
given in ``initialize``: they belong to the instance and stay valid for its whole life.
The assets, two small web components, are served from a dict in this module.
"""

from __future__ import annotations

import json
import time
from typing import Any

from guest_sdk import BasePlugin, Context, PortalUIProvider, UIProvider
from guest_sdk.messages import AssetInfo, PortalUserContext
from guest_sdk.services import Services

FORM_JS = b"""// <feedback-form>: lets a portal user rate and comment; the host sets element.rpc(method, payload).
class FeedbackForm extends HTMLElement {
  connectedCallback() {
    this.innerHTML = `<form><textarea name="text" required></textarea>
      <select name="rating">${[5, 4, 3, 2, 1].map((n) => `<option>${n}</option>`).join("")}</select>
      <button>Send</button><p role="status"></p></form>`;
    this.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const answer = await this.rpc("submit", {text: form.get("text"), rating: Number(form.get("rating"))});
      this.querySelector("[role=status]").textContent = answer.error ? answer.error.message : "Thank you!";
    });
  }
}
customElements.define("feedback-form", FeedbackForm);
"""

ADMIN_JS = b"""// <feedback-admin>: lists every feedback item for admins; the host sets element.rpc(method, payload).
class FeedbackAdmin extends HTMLElement {
  async connectedCallback() {
    const page = await this.rpc("list_all", {limit: 50});
    this.innerHTML = `<p>${page.total} items, average ${page.average_rating ?? "-"}</p><ul>${page.items
      .map((i) => `<li>${"*".repeat(i.rating)} ${i.text.replace(/</g, "&lt;")} (${i.user_email})</li>`)
      .join("")}</ul>`;
  }
}
customElements.define("feedback-admin", FeedbackAdmin);
"""

ASSETS: dict[str, tuple[bytes, str]] = {
    "/ui/webc/feedback-form.js": (FORM_JS, "application/javascript"),
    "/ui/webc/feedback-admin.js": (ADMIN_JS, "application/javascript"),
}


def _slot(slot: str, title: str, tag: str) -> dict[str, Any]:
    return {"slot": slot, "label": "Feedback", "items": [
        {"type": "route", "path": "/feedback", "title": title,
         "mount": {"kind": "webc", "tag": tag, "entry": f"/ui/webc/{tag}.js"}}]}


#: The AI Studio manifest, as GetManifest answers it (plugin-manifest.json without ``sandbox``).
MANIFEST: dict[str, Any] = {
    "id": "com.example.portal-feedback",
    "version": "1.0.0",
    "name": "Portal Feedback",
    "description": "Portal users rate and comment; admins list and delete the feedback.",
    "capabilities": {"hooks": ["studio_ui", "portal_ui"], "primary_hook": "portal_ui"},
    "permissions": {"services": ["kv.readwrite"]},
    "assets": sorted(ASSETS),
    "ui": {"slots": [_slot("sidebar.section", "All feedback", "feedback-admin")]},
    "portal": {"slots": [_slot("portal_sidebar.section", "Send feedback", "feedback-form")]},
}

SEQ, COUNT, RATING_SUM = "feedback:seq", "feedback:count", "feedback:rating_sum"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _payload(payload: str) -> dict[str, Any] | None:
    """The RPC payload as an object ({} when empty), or None when it is not one."""
    if not payload.strip():
        return {}
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class PortalFeedback(BasePlugin, PortalUIProvider, UIProvider):
    def __init__(self) -> None:
        super().__init__("portal-feedback", "1.0.0", "Feedback from portal users")
        self.services: Services | None = None
        self.max_length = 2000

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.services = ctx.services
        self.max_length = int(config.get("max_text_length", "2000"))

    @property
    def kv(self) -> Any:
        if self.services is None:
            raise RuntimeError("the plugin was not initialised")
        return self.services.kv

    # -- the store ----------------------------------------------------------------------------
    def _item(self, item_id: int) -> dict[str, Any] | None:
        raw = self.kv.get(f"feedback:item:{item_id}")
        return json.loads(raw) if raw is not None else None

    def _user_ids(self, user_id: int) -> list[int]:
        raw = self.kv.get(f"feedback:user:{user_id}")
        return list(json.loads(raw)) if raw is not None else []

    # -- portal -------------------------------------------------------------------------------
    def handle_portal_rpc(self, method: str, payload: str, user: PortalUserContext) -> dict[str, Any]:
        if user.user_id <= 0:
            return _error("unauthenticated", "a signed-in portal user is required")
        args = _payload(payload)
        if args is None:
            return _error("invalid_payload", "the payload must be a JSON object")
        if method == "submit":
            return self._submit(args, user)
        if method == "list_mine":
            items = [i for i in (self._item(x) for x in reversed(self._user_ids(user.user_id))) if i]
            return {"items": items}
        return _error("unknown_method", f"unknown portal method {method!r}; use submit or list_mine")

    def _submit(self, args: dict[str, Any], user: PortalUserContext) -> dict[str, Any]:
        text, rating = args.get("text"), _int(args.get("rating"))
        if not isinstance(text, str) or not text.strip():
            return _error("invalid_payload", "text must be a non-empty string")
        if len(text) > self.max_length:
            return _error("invalid_payload", f"text is longer than {self.max_length} characters")
        if rating is None or not 1 <= rating <= 5:
            return _error("invalid_payload", "rating must be an integer from 1 to 5")
        kv = self.kv
        item_id = kv.increment(SEQ)
        item = {"id": item_id, "user_id": user.user_id, "user_email": user.email,
                "user_name": user.name, "text": text.strip(), "rating": rating,
                "created_at": int(time.time())}
        kv.write(f"feedback:item:{item_id}", json.dumps(item))
        kv.write(f"feedback:user:{user.user_id}", json.dumps(self._user_ids(user.user_id) + [item_id]))
        kv.increment(COUNT)
        kv.increment(RATING_SUM, rating)
        return {"ok": True, "item": item}

    # -- admin --------------------------------------------------------------------------------
    def handle_rpc(self, method: str, payload: str) -> dict[str, Any]:
        args = _payload(payload)
        if args is None:
            return _error("invalid_payload", "the payload must be a JSON object")
        if method == "list_all":
            return self._list_all(args)
        if method == "delete":
            return self._delete(args)
        return _error("unknown_method", f"unknown admin method {method!r}; use list_all or delete")

    def _list_all(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = _int(args.get("limit", 50))
        before = _int(args.get("before", 0))
        if limit is None or not 1 <= limit <= 200 or before is None or before < 0:
            return _error("invalid_payload", "limit must be 1-200 and before a positive id")
        kv = self.kv
        newest = int(kv.get(SEQ) or 0)
        item_id = min(newest, before - 1) if before else newest
        items: list[dict[str, Any]] = []
        while item_id > 0 and len(items) < limit:
            item = self._item(item_id)
            if item is not None:
                items.append(item)
            item_id -= 1
        count, total = int(kv.get(COUNT) or 0), int(kv.get(RATING_SUM) or 0)
        return {"items": items, "next_before": items[-1]["id"] if item_id > 0 and items else None,
                "total": count, "average_rating": round(total / count, 2) if count else None}

    def _delete(self, args: dict[str, Any]) -> dict[str, Any]:
        item_id = _int(args.get("id"))
        if item_id is None or item_id <= 0:
            return _error("invalid_payload", "id must be a positive integer")
        item = self._item(item_id)
        if item is None:
            return {"deleted": False}
        kv = self.kv
        kv.delete(f"feedback:item:{item_id}")
        owner = int(item["user_id"])
        kv.write(f"feedback:user:{owner}", json.dumps([x for x in self._user_ids(owner) if x != item_id]))
        kv.increment(COUNT, -1)
        kv.increment(RATING_SUM, -int(item["rating"]))
        return {"deleted": True}

    # -- assets and manifest ------------------------------------------------------------------
    def get_asset(self, asset_path: str) -> tuple[bytes, str]:
        if asset_path not in ASSETS:
            raise LookupError(f"no asset {asset_path}")
        return ASSETS[asset_path]

    def list_assets(self, path_prefix: str) -> list[AssetInfo]:
        return [AssetInfo(path=path, mime_type=mime, size=len(content))
                for path, (content, mime) in sorted(ASSETS.items()) if path.startswith(path_prefix)]

    def get_manifest(self) -> dict[str, Any]:
        return MANIFEST


def create_plugin() -> PortalFeedback:
    return PortalFeedback()
