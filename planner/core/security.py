"""HTTP security headers, safe redirects and secret tokens."""

import hashlib
import secrets
from urllib.parse import urlsplit

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def is_safe_redirect(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative '//' and no backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def new_token() -> str:
    """A URL-safe random token of 256 bits."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are stored hashed: a leaked database does not leak working links."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- uploads: what a file is, from its bytes, never from its name ---------------------------------------------

_BINARY_MAGIC = (
    b"%PDF", b"\x7fELF", b"MZ", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"BZh", b"7z\xbc\xaf",
    b"Rar!", b"\xd0\xcf\x11\xe0",  # OLE2: old .xls/.doc, not accepted as xlsx
)


def sniff_upload(data: bytes) -> str:
    """"xlsx", "csv" or "binary", decided by magic bytes and content (the file name is not trusted).

    xlsx: a ZIP archive holding ``[Content_Types].xml`` and ``xl/workbook.xml`` (read from the ZIP directory
    only, nothing is decompressed). csv: text that decodes as UTF-8 (with or without BOM) or Windows-1252
    without NUL bytes or other control characters apart from tab, CR and LF.
    """
    import io
    import zipfile

    if not data:
        return "binary"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return "binary"
        return "xlsx" if {"[Content_Types].xml", "xl/workbook.xml"} <= names else "binary"
    if data.startswith(_BINARY_MAGIC):
        return "binary"
    sample = data[: 64 * 1024]
    if b"\x00" in sample:
        return "binary"
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError as error:
            if encoding == "utf-8-sig" and error.start >= len(sample) - 3:
                text = sample[: error.start].decode(encoding)  # a character cut at the sample's end
            else:
                continue
        if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
            return "binary"
        return "csv"
    return "binary"
