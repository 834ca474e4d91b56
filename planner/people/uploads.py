"""Uploaded files kept between a preview and its confirmation: on disk under instance/uploads/, named by a
random id, referenced from the form by a signed, time-limited token (never in the session cookie)."""

import secrets
import time
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "planner.people.import-upload"
MAX_AGE_SECONDS = 6 * 3600


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _remove_stale(folder: Path) -> None:
    """Uploads never confirmed are removed once their token has run out."""
    limit = time.time() - MAX_AGE_SECONDS
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def store_upload(data: bytes, owner_id: int | None) -> str:
    """Saves the bytes and returns a signed token naming the file (bound to the uploading user)."""
    _remove_stale(_folder())
    name = secrets.token_hex(16)
    (_folder() / f"{name}.csv").write_bytes(data)
    return _serializer().dumps({"file": name, "owner": owner_id})


def _path(token: str, owner_id: int | None) -> Path | None:
    try:
        payload = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    name = str(payload.get("file", "")) if isinstance(payload, dict) else ""
    if payload.get("owner") != owner_id or len(name) != 32 or not all(c in "0123456789abcdef" for c in name):
        return None
    path = _folder() / f"{name}.csv"
    return path if path.is_file() else None


def load_upload(token: str, owner_id: int | None) -> bytes | None:
    path = _path(token, owner_id)
    return path.read_bytes() if path else None


def delete_upload(token: str, owner_id: int | None) -> None:
    path = _path(token, owner_id)
    if path:
        path.unlink(missing_ok=True)
