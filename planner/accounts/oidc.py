"""OpenID Connect clients (Authlib's Flask integration), one per provider of SSO_PROVIDERS, made on first use.

Authlib does the protocol: discovery, state and nonce in the session, the code exchange, and the ID token's
checks (signature from the provider's JWKS, issuer, audience = our client id, expiry, nonce)."""

from authlib.integrations.flask_client import OAuth
from flask import current_app
from joserfc.errors import InvalidClaimError

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
