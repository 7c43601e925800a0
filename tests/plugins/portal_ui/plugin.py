"""Portal UI: answers with the portal user's identity."""

from __future__ import annotations

from guest_sdk import BasePlugin, PortalUIProvider
from guest_sdk.messages import PortalUserContext


class Portal(BasePlugin, PortalUIProvider):
    def __init__(self) -> None:
        super().__init__("portal-ui", "1.0.0", "Portal RPC")

    def handle_portal_rpc(self, method: str, payload: str, user: PortalUserContext) -> dict[str, object]:
        return {"method": method, "email": user.email, "user_id": user.user_id,
                "admin": user.is_admin}


def create_plugin() -> Portal:
    return Portal()
