"""OpenID Connect clients (Authlib's Flask integration), one per provider of SSO_PROVIDERS, made on first use.

Authlib does the protocol: discovery, state and nonce in the session, the code exchange, and the ID token's
checks (signature from the provider's JWKS, issuer, audience = our client id, expiry, nonce)."""

from flask import current_app
from joserfc.errors import InvalidClaimError

from planner.core.lazy import lazy_import

# Authlib's client and joserfc's JWT/JWK code (with requests and cryptography: a tenth of a second) are imported
# at the first single sign-on, not at every start of the app.
OAuth = lazy_import("authlib.integrations.flask_client", "OAuth")
jwt = lazy_import("joserfc.jwt")
KeySet = lazy_import("joserfc.jwk", "KeySet")

EXTENSION = "planner_oauth"


def client(provider_config: dict):
    """The Authlib client for this provider (registered with this app on first use)."""
    app = current_app._get_current_object()
    oauth = app.extensions.get(EXTENSION)
    if oauth is None:
        oauth = OAuth()
        oauth.init_app(app)
        app.extensions[EXTENSION] = oauth
    name = provider_config["name"]
    existing = oauth.create_client(name)
    if existing is not None:
        return existing
    return oauth.register(
        name=name,
        client_id=provider_config["client_id"],
        client_secret=provider_config.get("client_secret"),
        server_metadata_url=provider_config["server_metadata_url"],
        client_kwargs={"scope": provider_config.get("scope", "openid email profile"), "timeout": 10},
    )


def check_audience(provider_config: dict, claims) -> None:
    """The ID token must be meant for us: our client id among its audiences (Authlib checks ``azp`` only)."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if provider_config["client_id"] not in audiences:
        raise InvalidClaimError("aud")


BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def verify_logout_token(provider_config: dict, logout_token: str) -> dict:
    """The claims of a back-channel logout token (OIDC Back-Channel Logout 1.0), checked: signature from the
    provider's JWKS, issuer, audience, issued-at, the logout event, a subject, and no nonce. Raises JoseError."""
    oauth_client = client(provider_config)
    metadata = oauth_client.load_server_metadata()
    keys = KeySet.import_key_set(oauth_client.fetch_jwk_set())
    token = jwt.decode(logout_token, keys, algorithms=metadata.get("id_token_signing_alg_values_supported")
                       or ["RS256"])
    registry = jwt.JWTClaimsRegistry(
        leeway=120, iss={"essential": True, "value": metadata.get("issuer")}, iat={"essential": True},
        sub={"essential": True},
    )
    registry.validate(token.claims)
    check_audience(provider_config, token.claims)
    if BACKCHANNEL_LOGOUT_EVENT not in (token.claims.get("events") or {}):
        raise InvalidClaimError("events")
    if "nonce" in token.claims:
        raise InvalidClaimError("nonce")
    return token.claims
