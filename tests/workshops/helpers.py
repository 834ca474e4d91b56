"""Builders for workshop tests: service input and the form a facilitator submits."""

from datetime import date, time

from planner.workshops.models import WorkshopFormat, WorkshopKind
from planner.workshops.services import WorkshopData


def workshop_data(**kw) -> WorkshopData:
    kw.setdefault("title", "Workshop 5: Smarte Services")
    kw.setdefault("format", WorkshopFormat.VIRTUAL)
    kw.setdefault("day", date(2030, 6, 4))
    kw.setdefault("start", time(9, 0))
    kw.setdefault("end", time(16, 30))
    kw.setdefault("kind", WorkshopKind.WORKSHOP)
    kw.setdefault("video_link", "https://video.example.org/ws5")
    return WorkshopData(**kw)


def form_data(field_ids, **kw) -> dict:
    data = {
        "title": "Workshop 5: Smarte Services",
        "kind": "workshop",
        "audience": "",
        "series": "",
        "fields": [str(i) for i in field_ids],
        "format": "virtual",
        "day": "2030-06-04",
        "start_time": "09:00",
        "end_time": "16:30",
        "location": "",
        "video_link": "https://video.example.org/ws5",
        "capacity": "30",
        "description": "Ganztägig.",
    }
    data.update(kw)
    return data
