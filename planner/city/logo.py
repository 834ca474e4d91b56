"""Checks an uploaded logo: a real PNG or SVG, small, and an SVG without script or external references."""

import io
import re

from defusedxml import ElementTree as SafeET
from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError

MAX_LOGO_BYTES = 1024 * 1024

_SVG = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_FORBIDDEN_ELEMENTS = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video", "handler",
                       "listener", "set", "animate"}
_URL_IN_STYLE = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.I)


class LogoError(DomainError):
    def __init__(self, message):
        super().__init__(message, field="logo")


def check_logo(data: bytes) -> tuple[bytes, str]:
    """The logo's bytes as stored (an SVG re-serialised without comments) and its content type.

    Raises LogoError with a message for the administrator when the file is not acceptable."""
    if not data:
        raise LogoError(_l("The file is empty."))
    if len(data) > MAX_LOGO_BYTES:
        raise LogoError(_l("The logo is too large: at most 1 MB, please."))
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_png(data), "image/png"
    head = data[:1024].lstrip().lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--") or b"<svg" in head:
        return _check_svg(data), "image/svg+xml"
    raise LogoError(_l("The logo must be a PNG or SVG image."))


def _check_png(data: bytes) -> bytes:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception as error:  # Pillow raises many kinds for a broken file
        raise LogoError(_l("The file is not a readable PNG image.")) from error
    if width > 4000 or height > 4000:
        raise LogoError(_l("The logo is too large: at most 4000 × 4000 pixels, please."))
    return data


def _check_svg(data: bytes) -> bytes:
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception as error:  # malformed XML, DTDs and entities are all refused
        raise LogoError(_l("The file is not a valid SVG image.")) from error
    if root.tag != f"{_SVG}svg":
        raise LogoError(_l("The file is not a valid SVG image."))
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if local in _FORBIDDEN_ELEMENTS:
            raise LogoError(_l("The SVG contains a script or active content; please upload a plain image."))
        for name, value in element.attrib.items():
            attr = name.rsplit("}", 1)[-1].lower()
            if attr.startswith("on"):
                raise LogoError(_l("The SVG contains a script or active content; please upload a plain image."))
            if (attr == "href" or name == _XLINK_HREF) and not value.strip().startswith("#"):
                raise LogoError(_l("The SVG refers to other files or addresses; please upload a self-contained "
                                   "image."))
            if attr == "style" and _URL_IN_STYLE.search(value):
                raise LogoError(_l("The SVG refers to other files or addresses; please upload a self-contained "
                                   "image."))
        if local == "style" and element.text and (_URL_IN_STYLE.search(element.text) or "@import" in element.text):
            raise LogoError(_l("The SVG refers to other files or addresses; please upload a self-contained image."))
    import xml.etree.ElementTree as ET  # noqa: S405 - serialising an already checked tree only

    ET.register_namespace("", "http://www.w3.org/2000/svg")
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
