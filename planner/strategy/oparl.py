"""Reading a Drucksache's Beratungsfolge from a council information system through OParl 1.1 (read-only).

The chain is Paper → Consultation (embedded in the Paper, or referenced) → Meeting (its date), AgendaItem
(``result``, ``resolutionText``) and Organization (the body's name). Objects come either from a recording (a JSON
array of OParl objects as a server returns them, each with its ``id`` URL and ``type``) or from a server, fetched
by their ids. Whatever is unknown, malformed or missing gives an ``OParlError`` with a clear message before anything
is recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l

from planner.strategy.council import DecisionResult, OParlError

TYPE_PREFIXES = ("https://schema.oparl.org/1.1/", "https://schema.oparl.org/1.0/")
MAX_FETCHES = 200
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class OParlConsultation:
    id: str
    body: str
    meeting_date: date | None
    role: str
    authoritative: bool
    result: DecisionResult | None
    result_text: str
    resolution_text: str


@dataclass(frozen=True)
class OParlPaper:
    id: str
    reference: str
    name: str
    paper_type: str
    date: date | None
    consultations: tuple[OParlConsultation, ...]


def kind(obj: dict) -> str:
    """``Paper`` for ``https://schema.oparl.org/1.1/Paper``; "" for anything else."""
    value = obj.get("type") if isinstance(obj, dict) else None
    if isinstance(value, str):
        for prefix in TYPE_PREFIXES:
            if value.startswith(prefix):
                return value[len(prefix):]
    return ""


def result_of(text: str, authoritative: bool) -> DecisionResult | None:
    """Maps the free wording of a council system ("ungeändert beschlossen", "vertagt", "abgelehnt", "geändert
    empfohlen") onto the planner's results. A committee's "beschlossen" is its recommendation; the deciding body's
    "geändert beschlossen" is an adoption (the wording is kept beside it)."""
    words = (text or "").casefold()
    if not words.strip():
        return None
    if "abgelehnt" in words or "nicht zugestimmt" in words:
        return DecisionResult.REJECTED
    if "vertagt" in words or "zurückgestellt" in words or "geschoben" in words:
        return DecisionResult.POSTPONED
    resolved = any(w in words for w in ("beschlossen", "angenommen", "zugestimmt", "einstimmig", "mehrheitlich"))
    changed = ("geändert" in words and "ungeändert" not in words) or "änderung" in words
    if resolved and authoritative:
        return DecisionResult.ADOPTED
    if changed:
        return DecisionResult.AMENDED
    if resolved or "empfohlen" in words or "empfehlung" in words or "kenntnis" in words:
        return DecisionResult.RECOMMENDED
    return None


def _text(obj: dict, key: str, limit: int = 10_000) -> str:
    value = obj.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _date(value, what: str) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise OParlError(_l("The council system's %(what)s is not a date: %(value)s", what=what, value=value))
    try:
        if "T" in value:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise OParlError(_l("The council system's %(what)s is not a date: %(value)s", what=what,
                            value=value)) from error


class _Objects:
    """OParl objects by their id; ``get`` resolves a reference (an id, or an embedded object)."""

    def __init__(self, objects: list[dict], fetch=None):
        self.by_id: dict[str, dict] = {}
        self.fetch = fetch
        self.fetches = 0
        for obj in objects:
            self.add(obj)

    def add(self, obj) -> None:
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not kind(obj):
            raise OParlError(_l("This is not OParl data: every object needs an \"id\" and an OParl \"type\"."))
        self.by_id[obj["id"]] = obj

    def get(self, ref, expected: str, *, required: bool = True) -> dict | None:
        if ref in (None, ""):
            return None
        if isinstance(ref, dict):
            self.add(ref)
            ref = ref["id"]
        if not isinstance(ref, str):
            raise OParlError(_l("A reference to a %(kind)s is not an OParl id.", kind=expected))
        obj = self.by_id.get(ref)
        if obj is None and self.fetch is not None:
            self.fetches += 1
            if self.fetches > MAX_FETCHES:
                raise OParlError(_l("The Drucksache refers to too many objects (more than %(count)s).",
                                    count=MAX_FETCHES))
            fetched = self.fetch(ref)
            self.add(fetched)
            obj = self.by_id.setdefault(ref, fetched)  # a server may answer under its canonical id
        if obj is None:
            if required:
                raise OParlError(_l("The data lacks the %(kind)s %(id)s that the Drucksache refers to.",
                                    kind=expected, id=ref))
            return None
        if kind(obj) != expected:
            raise OParlError(_l("%(id)s is a %(found)s, not a %(kind)s.", id=ref, found=kind(obj) or "?",
                                kind=expected))
        return obj


def _consultation(objects: _Objects, ref) -> OParlConsultation | None:
    consultation = objects.get(ref, "Consultation")
    if consultation.get("deleted"):
        return None
    meeting = objects.get(consultation.get("meeting"), "Meeting")
    item = objects.get(consultation.get("agendaItem"), "AgendaItem")
    organizations = consultation.get("organization") or []
    if not isinstance(organizations, list):
        raise OParlError(_l("The Consultation %(id)s names its bodies in a wrong form.", id=consultation["id"]))
    names = [_text(objects.get(o, "Organization"), "name", 200) for o in organizations]
    body = " / ".join(n for n in names if n) or (_text(meeting, "name", 200) if meeting else "")
    authoritative = consultation.get("authoritative") is True
    result_text = _text(item, "result", 200) if item else ""
    return OParlConsultation(
        id=consultation["id"],
        body=body,
        meeting_date=_date(meeting.get("start"), _l("meeting date")) if meeting else None,
        role=_text(consultation, "role", 100),
        authoritative=authoritative,
        result=result_of(result_text, authoritative),
        result_text=result_text,
        resolution_text=_text(item, "resolutionText", 100_000) if item else "",
    )


def _paper(objects: _Objects, paper: dict) -> OParlPaper:
    if paper.get("deleted"):
        raise OParlError(_l("The council system marks this Drucksache as deleted."))
    refs = paper.get("consultation") or []
    if not isinstance(refs, list):
        raise OParlError(_l("The Drucksache lists its consultations in a wrong form."))
    if not refs:
        # Some systems list the consultations as objects of their own that point to the paper.
        refs = [o for o in list(objects.by_id.values())
                if kind(o) == "Consultation" and o.get("paper") == paper["id"]]
    consultations = tuple(c for c in (_consultation(objects, ref) for ref in refs) if c is not None)
    return OParlPaper(id=paper["id"], reference=_text(paper, "reference", 60), name=_text(paper, "name", 300),
                      paper_type=_text(paper, "paperType", 100), date=_date(paper.get("date"), _l("paper date")),
                      consultations=consultations)


def _unpack(data) -> list:
    """A recording: a JSON array of objects; an OParl list page ({"data": [...]}) or one object also do."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return data["data"]
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return data
    raise OParlError(_l("This is not OParl data: expected a JSON array of OParl objects."))


def read_recording(path: Path) -> OParlPaper:
    """The one Paper of a recorded file, with what it refers to."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise OParlError(_l("The file cannot be read: %(error)s", error=error)) from error
    except json.JSONDecodeError as error:
        raise OParlError(_l("The file is not JSON (line %(line)s): %(error)s", line=error.lineno,
                            error=error.msg)) from error
    objects = _Objects(_unpack(data))
    papers = [o for o in objects.by_id.values() if kind(o) == "Paper"]
    if len(papers) != 1:
        raise OParlError(_l("The file must hold exactly one Paper (a Drucksache); it holds %(count)s.",
                            count=len(papers)))
    return _paper(objects, papers[0])


def fetch_paper(url: str, session=None) -> OParlPaper:
    """The Paper at ``url`` and what it refers to, fetched from the council system (HTTP GET only)."""
    import requests

    http = session or requests.Session()

    def fetch(ref: str) -> dict:
        if not ref.startswith(("https://", "http://")):
            raise OParlError(_l("%(id)s is not a web address.", id=ref))
        try:
            response = http.get(ref, timeout=TIMEOUT_SECONDS, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except requests.RequestException as error:
            raise OParlError(_l("The council system did not answer for %(id)s: %(error)s", id=ref,
                                error=error)) from error
        except ValueError as error:
            raise OParlError(_l("The council system did not send JSON for %(id)s.", id=ref)) from error

    objects = _Objects([], fetch=fetch)
    paper = objects.get(url, "Paper")
    return _paper(objects, paper)
