"""OAuth2 client credentials (oro-jsonapi.md §2): the ``/oauth2-token`` endpoint and the bearer
check in front of every API request. Issued tokens live in memory only, never in a snapshot."""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import parse_qs

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.oro.errors import Plain
from reconciler.sandbox.oro.store import Store


class Tokens:
    """Issues tokens to the store's clients and checks them on API requests."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # token -> (expiry in clock seconds, client id); never persisted
        self._expiry: dict[str, tuple[float, str]] = {}

    def token(self, request: Request) -> Response:
        """``/oauth2-token``: a bearer token for a client's id and secret."""
        if request.method == "OPTIONS":
            return Response.empty(200, {"Allow": "OPTIONS, POST"})
        if request.method != "POST":
            return Response.empty(405, {"Allow": "OPTIONS, POST"})
        params = _token_params(request)
        if params.get("grant_type") != "client_credentials":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
                "Check that all required parameters have been provided",
            )
        client_id = params.get("client_id")
        if not client_id:
            return _oauth_error(
                400,
                "invalid_request",
                "The request is missing a required parameter, includes an invalid parameter "
                "value, includes a parameter more than once, or is otherwise malformed.",
                "Check the `client_id` parameter",
            )
        secret = self._store.clients.get(client_id)
        given = params.get("client_secret") or ""
        if secret is None or not secrets.compare_digest(secret.encode(), given.encode()):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        lifetime = int(self._store.settings["tokenLifetime"])
        token = secrets.token_urlsafe(32)
        self._expiry[token] = (self._store.clock() + lifetime, client_id)
        payload = {"token_type": "Bearer", "expires_in": lifetime, "access_token": token}
        return Response.json(200, payload, content_type="application/json; charset=UTF-8")

    def authenticate(self, request: Request) -> str:
        """The client id of the request's live bearer token; a plain 401 without one."""
        header = request.headers.get("Authorization")
        if not header:
            raise Plain(Response.empty(401, {"WWW-Authenticate": "Bearer"}))
        scheme, _, token = header.partition(" ")
        issued = self._expiry.get(token.strip()) if scheme.lower() == "bearer" else None
        if issued is None or self._store.clock() >= issued[0]:
            raise Plain(Response.empty(401))  # OAuth2Authenticator: new Response('', 401)
        return issued[1]

    def revoke(self) -> None:
        self._expiry.clear()


def _token_params(request: Request) -> dict[str, str]:
    """JSON, form fields, or HTTP Basic + form (ClientCredentialsOAuthServerTest)."""
    params: dict[str, str] = {}
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if request.body:
        if content_type == "application/json":
            try:
                doc = json.loads(request.body)
            except ValueError:
                doc = {}
            if isinstance(doc, dict):
                params = {k: str(v) for k, v in doc.items() if v is not None}
        else:
            parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            params = {k: v[-1] for k, v in parsed.items()}
    auth = request.headers.get("Authorization") or ""
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
        except ValueError:
            decoded = ""
        user, _, password = decoded.partition(":")
        params.setdefault("client_id", user)
        params.setdefault("client_secret", password)
    return params


def _oauth_error(status: int, error: str, message: str, hint: str | None = None) -> Response:
    payload = {"error": error, "message": message, "error_description": message}
    if hint:
        payload["hint"] = hint
    return Response.json(status, payload, content_type="application/json; charset=UTF-8")
