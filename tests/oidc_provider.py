"""A small OpenID Connect provider that speaks the real protocol, for the tests (authorization code flow).

Discovery document, JWKS, an authorize page with a sign-in form (a browser can use it), a token endpoint with
client authentication, ID tokens signed RS256 with joserfc (Authlib's JOSE library), and RP-initiated logout.
It serves on 127.0.0.1 and a free port in a thread (werkzeug). ``audience`` and ``lifetime`` can be changed to
hand out a token for another client or one that has already expired.
"""

import secrets
import threading
import time
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from markupsafe import escape
from werkzeug.serving import make_server

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>
<form method="post" action="/authorize">{hidden}
<label for="username">User name</label> <input id="username" name="username" autocomplete="username">
<button type="submit">Sign in</button></form></main></body></html>"""


class OIDCProvider:
    def __init__(self, client_id: str = "planner", client_secret: str = "planner-secret"):  # noqa: S107
        self.client_id = client_id
        self.client_secret = client_secret
        self.users: dict[str, dict] = {}
        self.audience: str | None = None  # None: the client's id
        self.lifetime = 300  # seconds; negative: already expired
        self.azp: str | None = None  # an authorized party claim, if any
        self.codes: dict[str, dict] = {}
        self.logouts: list[dict] = []
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.app = self._make_app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def add_user(self, username: str, *, email: str, groups=(), email_verified: bool = True, name: str = ""):
        self.users[username] = {"sub": f"sub-{username}", "email": email, "email_verified": email_verified,
                                "groups": list(groups), "name": name or username}

    def config(self, **extra) -> dict:
        """An entry for the planner's SSO_PROVIDERS."""
        return {"name": "keycloak", "label": "Stadt-Login (Keycloak)", "type": "oidc",
                "server_metadata_url": f"{self.url}/.well-known/openid-configuration",
                "client_id": self.client_id, "client_secret": self.client_secret, "groups_claim": "groups",
                **extra}

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=10)

    def id_token(self, user: dict, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "sub": user["sub"], "aud": self.audience or self.client_id,
                  "iat": now, "exp": now + self.lifetime, "email": user["email"],
                  "email_verified": user["email_verified"], "name": user["name"], "groups": user["groups"]}
        if nonce:
            claims["nonce"] = nonce
        if self.azp:
            claims["azp"] = self.azp
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)

    def logout_token(self, username: str, *, key=None, audience: str | None = None) -> str:
        """A back-channel logout token (OIDC Back-Channel Logout 1.0) for this user."""
        now = int(time.time())
        claims = {"iss": self.url, "sub": self.users[username]["sub"], "aud": audience or self.client_id,
                  "iat": now, "jti": secrets.token_hex(8),
                  "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key or self.key)

    def _make_app(self) -> Flask:
        app = Flask("oidc_provider")
        provider = self

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify({
                "issuer": provider.url,
                "authorization_endpoint": f"{provider.url}/authorize",
                "token_endpoint": f"{provider.url}/token",
                "jwks_uri": f"{provider.url}/jwks",
                "end_session_endpoint": f"{provider.url}/logout",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            })

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            args = request.values
            if args.get("client_id") != provider.client_id or args.get("response_type") != "code":
                abort(400)
            if request.method == "GET":
                keep = ("client_id", "redirect_uri", "state", "nonce", "scope", "response_type")
                hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(args.get(k, ""))}">'
                                 for k in keep)
                return PAGE.format(hidden=hidden)
            user = provider.users.get(args.get("username", ""))
            if user is None:
                return redirect(args["redirect_uri"] + "?" + urlencode(
                    {"error": "access_denied", "state": args.get("state", "")}))
            code = secrets.token_urlsafe(16)
            provider.codes[code] = {"user": user, "nonce": args.get("nonce"), "redirect_uri": args["redirect_uri"]}
            return redirect(args["redirect_uri"] + "?" + urlencode({"code": code, "state": args.get("state", "")}))

        @app.post("/token")
        def token():
            auth = request.authorization
            client_id = auth.username if auth else request.form.get("client_id")
            client_secret = auth.password if auth else request.form.get("client_secret")
            if client_id != provider.client_id or client_secret != provider.client_secret:
                return jsonify({"error": "invalid_client"}), 401
            grant = provider.codes.pop(request.form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != request.form.get("redirect_uri"):
                return jsonify({"error": "invalid_grant"}), 400
            return jsonify({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                            "id_token": provider.id_token(grant["user"], grant["nonce"])})

        @app.get("/logout")
        def logout():
            provider.logouts.append(dict(request.args))
            target = request.args.get("post_logout_redirect_uri")
            return redirect(target) if target else "signed out"

        return app
