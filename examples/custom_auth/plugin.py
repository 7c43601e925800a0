"""Custom auth: bearer tokens from a table in the configuration.

The ``tokens`` config key maps each token to the app and user it stands for::

    {"tok-ana": {"app_id": 7, "user_id": 42, "email": "ana@example.com", "name": "Ana"}}

``handle_auth`` answers from the table alone (no host call on the hot path): a known
token authenticates as its app and user with the claim ``auth_method=token``; anything
else is refused with a message. Tokens are compared in constant time.

``get_app_by_credential`` looks the app up through the host (``gateway.get_app`` in the
gateway runtime, ``studio.get_app`` in the studio runtime; scope ``apps.read``):

* the host knows the app: its record is answered as it is;
* the host does not know it (``NotFound``): the look-up fails. The table names an app
  that does not exist, and refusing is the safe side;
* the look-up is not available (not granted, no implementation in this setup, no RPC
  under this host, service down): a minimal app is built from the table, marked with
  ``metadata.source = "token-table"``.

There is no service to look users up, so ``get_user_by_credential`` always builds the
user from the table (``email`` and ``name`` are optional there).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from guest_sdk import (AuthHandler, BasePlugin, ConfigProvider, Context, NotFound, RuntimeKind,
                       SessionAware)
from guest_sdk.errors import (PermissionDenied, ServiceUnavailable, UnsupportedEmbedded,
                              UnsupportedUnderHost)
from guest_sdk.messages import App, AuthRequest, AuthResponse, User

#: The JSON Schema of the configuration (the same document as config.schema.json).
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "tokens": {
            "type": "object",
            "description": "Bearer token -> the app and user it authenticates as.",
            "additionalProperties": {
                "type": "object",
                "required": ["app_id", "user_id"],
                "properties": {
                    "app_id": {"type": "integer", "minimum": 1},
                    "user_id": {"type": "integer", "minimum": 1},
                    "email": {"type": "string"},
                    "name": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
    },
    "required": ["tokens"],
    "additionalProperties": False,
}

#: Errors that mean "the look-up service is not there", not "the app does not exist".
_UNAVAILABLE = (PermissionDenied, UnsupportedEmbedded, UnsupportedUnderHost, ServiceUnavailable)


class TokenAuth(BasePlugin, AuthHandler, ConfigProvider, SessionAware):
    def __init__(self) -> None:
        super().__init__("custom-auth", "1.0.0", "Authenticates bearer tokens from a table")
        self.tokens: dict[str, dict[str, Any]] = {}

    def initialize(self, ctx: Context, config: dict[str, str]) -> None:
        raw = json.loads(config.get("tokens", "{}"))
        if not isinstance(raw, dict):
            raise ValueError("tokens must be a JSON object of token -> {app_id, user_id}")
        tokens: dict[str, dict[str, Any]] = {}
        for token, entry in raw.items():
            if not token or not isinstance(entry, dict):
                raise ValueError(f"tokens: the entry of {token[:4]!r}... must be an object")
            tokens[token] = {"app_id": int(entry["app_id"]), "user_id": int(entry["user_id"]),
                             "email": str(entry.get("email", "")), "name": str(entry.get("name", ""))}
        self.tokens = tokens  # replaced as a whole: initialize may run again

    def get_config_schema(self) -> dict[str, Any]:
        return CONFIG_SCHEMA

    # -- the token table ----------------------------------------------------------------------
    @staticmethod
    def _token(credential: str) -> str:
        """The token of a credential, with or without its "Bearer " prefix."""
        token = credential.strip()
        if token[:6].lower() == "bearer" and (len(token) == 6 or token[6].isspace()):
            token = token[6:].strip()
        return token

    def _lookup(self, credential: str) -> dict[str, Any] | None:
        """The table entry of ``credential``, compared in constant time."""
        token = self._token(credential)
        if not token:
            return None
        found = None
        given = token.encode("utf-8")
        for known, entry in self.tokens.items():  # no early exit: timing does not leak a match
            if hmac.compare_digest(known.encode("utf-8"), given):
                found = entry
        return found

    def _entry(self, credential: str) -> dict[str, Any]:
        entry = self._lookup(credential)
        if entry is None:
            raise LookupError("unknown credential")
        return entry

    # -- AuthHandler --------------------------------------------------------------------------
    def handle_auth(self, ctx: Context, req: AuthRequest) -> AuthResponse:
        if req.auth_type and req.auth_type.lower() != "bearer":
            return AuthResponse(authenticated=False,
                                error_message=f"unsupported auth type {req.auth_type!r}: use a bearer token")
        if not self._token(req.credential):
            return AuthResponse(authenticated=False, error_message="missing bearer token")
        entry = self._lookup(req.credential)
        if entry is None:
            ctx.services.logger.warn("rejected an unknown token", request_id=ctx.request_id)
            return AuthResponse(authenticated=False, error_message="invalid or unknown token")
        return AuthResponse(authenticated=True, app_id=str(entry["app_id"]),
                            user_id=str(entry["user_id"]), claims={"auth_method": "token"})

    def get_app_by_credential(self, ctx: Context, credential: str) -> App:
        entry = self._entry(credential)
        app_id = entry["app_id"]
        try:
            if ctx.runtime is RuntimeKind.GATEWAY:
                record = ctx.services.gateway.get_app(app_id)
            else:
                record = ctx.services.studio.get_app(app_id)
        except NotFound:
            raise LookupError(f"the token's app {app_id} does not exist") from None
        except _UNAVAILABLE as exc:
            ctx.services.logger.debug("app look-up unavailable; answering from the token table",
                                      app_id=app_id, code=exc.code)
            return App(id=app_id, name=f"app-{app_id}", is_active=True,
                       metadata={"source": "token-table"})
        return App.from_wire(record)

    def get_user_by_credential(self, ctx: Context, credential: str) -> User:
        entry = self._entry(credential)
        return User(id=entry["user_id"], email=entry["email"],
                    name=entry["name"] or f"user-{entry['user_id']}", is_active=True)

    # -- SessionAware -------------------------------------------------------------------------
    def on_session_ready(self, ctx: Context) -> None:
        ctx.services.logger.info("custom auth ready", session_id=ctx.session_id,
                                 tokens=len(self.tokens))

    def on_session_closing(self, ctx: Context) -> None:
        ctx.services.logger.info("custom auth session closing", session_id=ctx.session_id)


def create_plugin() -> TokenAuth:
    return TokenAuth()
