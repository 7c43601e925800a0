"""Auth: a token table from the configuration (``tokens``: token -> app id / user id)."""

from __future__ import annotations

import json

from guest_sdk import AuthHandler, BasePlugin, Context
from guest_sdk.messages import App, AuthRequest, AuthResponse, User


class TokenAuth(BasePlugin, AuthHandler):
    def __init__(self) -> None:
        super().__init__("token-auth", "1.0.0", "Token table authentication")
        self.tokens: dict[str, dict[str, int]] = {}

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        self.tokens = json.loads(config.get("tokens", "{}"))

    def _entry(self, credential: str) -> dict[str, int]:
        entry = self.tokens.get(credential)
        if entry is None:
            raise KeyError(f"unknown credential {credential!r}")
        return entry

    def handle_auth(self, ctx: Context, req: AuthRequest) -> AuthResponse:
        entry = self.tokens.get(req.credential)
        if entry is None:
            return AuthResponse(authenticated=False, error_message="unknown token")
        return AuthResponse(authenticated=True, app_id=str(entry["app_id"]),
                            user_id=str(entry["user_id"]), claims={"auth_type": req.auth_type})

    def get_app_by_credential(self, ctx: Context, credential: str) -> App:
        entry = self._entry(credential)
        return App(id=entry["app_id"], name=f"app-{entry['app_id']}", is_active=True)

    def get_user_by_credential(self, ctx: Context, credential: str) -> User:
        entry = self._entry(credential)
        return User(id=entry["user_id"], email=f"user{entry['user_id']}@example.com",
                    is_active=True)


def create_plugin() -> TokenAuth:
    return TokenAuth()
