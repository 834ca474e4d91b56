"""What the public sees of the implementation: per action field, each adopted measure with its status, progress and
KPI values, and where it came from ("Sie haben gesagt – wir haben getan": the workshop needs and the citizens'
rating, from the adopted version's frozen roll-up, which never holds hidden findings). No person is named.
Also the open data: measures, KPI values and a DCAT-AP.de catalogue for the city's open-data portal."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import selectinload

from planner.core.pagination import ListPage
from planner.extensions import db
from planner.fields.models import ActionField
from planner.findings.models import Measure, MeasureKPI
from planner.monitoring.models import ActionStatus, KPIValue, MonitoredAction, PublicTrail, StatusUpdate
from planner.strategy.models import PaperVersion
from planner.strategy.rollup import MeasureSheet, Need

PER_PAGE = 25  # measures on one page of a field


@dataclass
class PublicMeasure:
    action: MonitoredAction
    sheet: MeasureSheet | None
    needs: list[Need] = field(default_factory=list)
    values: dict[int, list[KPIValue]] = field(default_factory=dict)
    last_update: StatusUpdate | None = None
    # How the citizen survey rated the measure's action field in the adopted version (0..1), where it did: the survey
    # evidence of a measure that has no rating of its own.
    field_citizen_score: float | None = None


@dataclass
class PublicField:
    """One action field on the dashboard: how many of its measures stand where."""
    code: str
    name_de: str
    name_en: str
    counts: dict[ActionStatus, int]
    progress: float  # the average progress in per cent

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_de


def dashboard() -> list[PublicField]:
    """Per action field the number of measures in each status and their average progress: one query of counts,
    however many measures the city monitors (each field's page lists them)."""
    rows = db.session.execute(
        select(ActionField.code, ActionField.name_de, ActionField.name_en, MonitoredAction.status,
               func.count(MonitoredAction.id), func.sum(MonitoredAction.progress))
        .join(Measure, Measure.id == MonitoredAction.measure_id).join(ActionField, ActionField.id == Measure.field_id)
        .group_by(ActionField.id, ActionField.position, ActionField.code, ActionField.name_de, ActionField.name_en,
                  MonitoredAction.status)
        .order_by(ActionField.position, ActionField.code))
    fields: dict[str, PublicField] = {}
    sums: dict[str, int] = {}
    for code, name_de, name_en, status, count, progress in rows:
        entry = fields.setdefault(code, PublicField(code, name_de, name_en, {s: 0 for s in ActionStatus}, 0.0))
        entry.counts[ActionStatus(status)] = count
        sums[code] = sums.get(code, 0) + int(progress or 0)
    for code, entry in fields.items():
        entry.progress = sums[code] / entry.total if entry.total else 0.0
    return list(fields.values())


def latest_updates(action_ids) -> dict[int, StatusUpdate]:
    """The newest status update of each of ``action_ids`` (one query, one row per action)."""
    action_ids = list(action_ids)
    if not action_ids:
        return {}
    ranked = (select(StatusUpdate.id, func.row_number().over(
        partition_by=StatusUpdate.action_id, order_by=(StatusUpdate.reported_on.desc(), StatusUpdate.id.desc()))
        .label("n")).where(StatusUpdate.action_id.in_(action_ids)).subquery())
    newest = select(ranked.c.id).where(ranked.c.n == 1)
    return {u.action_id: u for u in db.session.scalars(select(StatusUpdate).where(StatusUpdate.id.in_(newest)))}


def field_page(code: str, page: int | None) -> tuple[ActionField, ListPage] | None:
    """One page of a field's monitored measures (in the paper's order), each with its newest update; None for a
    field that has none. Items are PublicMeasure without trail and values (those are on the measure's page)."""
    chosen = db.session.scalar(select(ActionField).where(ActionField.code == code))
    if chosen is None:
        return None
    ids = db.session.scalars(select(MonitoredAction.id).join(Measure, Measure.id == MonitoredAction.measure_id)
                             .where(Measure.field_id == chosen.id).order_by(Measure.number_key, Measure.id)).all()
    if not ids:
        return None
    shown = ListPage.of(list(ids), page, PER_PAGE)
    actions = {a.id: a for a in db.session.scalars(
        select(MonitoredAction).where(MonitoredAction.id.in_(shown.items))
        .options(selectinload(MonitoredAction.measure)))}
    newest = latest_updates(shown.items)
    items = [PublicMeasure(actions[i], None, last_update=newest.get(i)) for i in shown.items]
    return chosen, ListPage(items, shown.page, shown.per_page, shown.total)


# The fallback for a version whose trails are not indexed yet (see index_trails): the trail of every measure of an
# adopted version, read from its frozen roll-up once per process: a frozen
# version never changes (PaperVersion.IMMUTABLE), so (id, frozen_at) names its content. Only what the trail needs is
# built from the stored JSON (the field chapters' measure sheets and the needs that name a measure), under a lock, so
# that the threads of a worker do not all read a metropolis's roll-up at once.
_TRAILS: dict[tuple[int, object], dict[int, tuple[MeasureSheet, list[Need]]]] = {}
_TRAILS_KEPT = 4
_TRAILS_LOCK = threading.Lock()


def _raw_trails(version_id: int) -> dict[int, tuple[dict, list[dict]]]:
    """Per measure id its sheet and the needs that name it, as stored (upgraded to the current schema) in the
    version's roll-up."""
    from planner.strategy.rollup import upgrade

    text = db.session.scalar(select(PaperVersion.rollup_json).where(PaperVersion.id == version_id))
    data = upgrade(json.loads(text))
    trails = {}
    for chapter in data.get("fields", []):
        needs = [n for n in chapter.get("needs", []) if n.get("measure_numbers")]
        for raw in chapter.get("measures", []):
            trails[raw["id"]] = (raw, [n for n in needs if raw.get("number") in n["measure_numbers"]])
    return trails


def _built(raw: dict, needs: list[dict]) -> tuple[MeasureSheet, list[Need]]:
    from planner.strategy.rollup import _from_dict

    return _from_dict(MeasureSheet, raw), [_from_dict(Need, n) for n in needs]


def _read_trails(version_id: int) -> dict[int, tuple[MeasureSheet, list[Need]]]:
    return {mid: _built(raw, needs) for mid, (raw, needs) in _raw_trails(version_id).items()}


def _raw_field_surveys(version_id: int) -> dict[str, float]:
    """Per action field code the citizens' rating of the field in the version's roll-up (fields rated)."""
    from planner.strategy.rollup import upgrade

    text = db.session.scalar(select(PaperVersion.rollup_json).where(PaperVersion.id == version_id))
    return {chapter["code"]: float(chapter["priority"]["citizen_score"])
            for chapter in upgrade(json.loads(text)).get("fields", [])
            if (chapter.get("priority") or {}).get("citizen_score") is not None}


def field_citizen_score(version_id: int, field_code: str) -> float | None:
    """The citizens' rating of an action field in a monitored version, from the version's marker row (written by
    index_trails; None where the version is not indexed yet or the field was not rated)."""
    text = db.session.scalar(select(PublicTrail.data_json).where(PublicTrail.version_id == version_id,
                                                                  PublicTrail.measure_id == 0))
    if not text:
        return None
    return json.loads(text).get("field_citizen_scores", {}).get(field_code)


def index_trails(version_id: int) -> int:
    """Copies the trail of every measure of the frozen version out of its roll-up into PublicTrail rows (once: when
    its monitoring starts, or by the daily job for a version monitored before), so that the public measure page
    reads one small row. Replaces rows of an older roll-up schema. Returns the number of measures indexed."""
    from planner.strategy.rollup import SCHEMA

    db.session.execute(delete(PublicTrail).where(PublicTrail.version_id == version_id))
    rows = [{"version_id": version_id, "measure_id": mid, "schema": SCHEMA,
             "data_json": json.dumps({"sheet": raw, "needs": needs}, ensure_ascii=False, separators=(",", ":"))}
            for mid, (raw, needs) in _raw_trails(version_id).items()]
    rows.append({"version_id": version_id, "measure_id": 0, "schema": SCHEMA,  # "indexed", and the fields' ratings
                 "data_json": json.dumps({"field_citizen_scores": _raw_field_surveys(version_id)})})
    db.session.execute(insert(PublicTrail), rows)
    return len(rows) - 1


def index_missing_trails() -> int:
    """Indexes the trails of every monitored version that has none in the current schema (the daily job)."""
    from planner.strategy.rollup import SCHEMA

    indexed = set(db.session.scalars(select(PublicTrail.version_id).where(PublicTrail.measure_id == 0,
                                                                         PublicTrail.schema == SCHEMA)).all())
    versions = set(db.session.scalars(select(MonitoredAction.adopted_version_id).distinct()
                                      .where(MonitoredAction.adopted_version_id.is_not(None))))
    for version_id in sorted(versions - indexed):
        index_trails(version_id)
    return len(versions - indexed)


def _trail(version_id: int, measure_id: int) -> tuple[MeasureSheet | None, list[Need]]:
    """The trail of one measure: its PublicTrail row (one small query); for a version not indexed yet, the
    roll-up read once per process (below)."""
    from planner.strategy.rollup import SCHEMA

    rows = dict(db.session.execute(select(PublicTrail.measure_id, PublicTrail.data_json).where(
        PublicTrail.version_id == version_id, PublicTrail.measure_id.in_((0, measure_id)),
        PublicTrail.schema == SCHEMA)).all())
    if 0 not in rows:
        return _trails(version_id).get(measure_id, (None, []))
    if measure_id not in rows:
        return None, []
    data = json.loads(rows[measure_id])
    return _built(data["sheet"], data["needs"])


def _trails(version_id: int) -> dict[int, tuple[MeasureSheet, list[Need]]]:
    frozen_at = db.session.scalar(select(PaperVersion.frozen_at).where(PaperVersion.id == version_id))
    key = (version_id, frozen_at)
    if key not in _TRAILS:
        with _TRAILS_LOCK:
            if key not in _TRAILS:
                trails = _read_trails(version_id)
                while len(_TRAILS) >= _TRAILS_KEPT:
                    _TRAILS.pop(next(iter(_TRAILS)))
                _TRAILS[key] = trails
    return _TRAILS[key]


def public_measure(measure_id: int) -> PublicMeasure | None:
    """One monitored measure (by the measure's id, as all public measure addresses are) for the public: status,
    progress, newest update, KPI values and where it came from (the workshop needs and the citizens' rating in the
    adopted version)."""
    from planner.monitoring.services import kpi_values

    action = db.session.scalar(select(MonitoredAction).where(MonitoredAction.measure_id == measure_id).options(
        selectinload(MonitoredAction.measure).selectinload(Measure.field),
        selectinload(MonitoredAction.measure).selectinload(Measure.kpis)))
    if action is None:
        return None
    sheet, needs = _trail(action.adopted_version_id, action.measure_id) if action.adopted_version_id else (None, [])
    field_score = (field_citizen_score(action.adopted_version_id, action.measure.field.code)
                   if action.adopted_version_id else None)
    return PublicMeasure(action, sheet, needs, kpi_values(action.measure),
                         latest_updates([action.id]).get(action.id), field_score)


# --- open data -------------------------------------------------------------------------------------------------

MEASURE_COLUMNS = ("measure_number", "title", "field_code", "field_name", "status", "progress_percent",
                   "responsible_unit", "start_year", "end_year", "cost_estimate_eur", "funding_programme",
                   "last_update_on")
KPI_COLUMNS = ("measure_number", "indicator", "unit", "baseline", "target_value", "target_year", "measured_on",
               "district", "value")


def _plain(value):
    return "" if value is None else (value.isoformat() if isinstance(value, date) else value)


def measure_rows() -> list[dict]:
    query = (select(Measure.number, Measure.title, ActionField.code, ActionField.name_de, MonitoredAction.status,
                    MonitoredAction.progress, MonitoredAction.responsible_unit, Measure.start_year, Measure.end_year,
                    Measure.cost_estimate, MonitoredAction.funding_programme, MonitoredAction.last_update_on)
             .join(Measure, Measure.id == MonitoredAction.measure_id)
             .join(ActionField, ActionField.id == Measure.field_id).order_by(Measure.number_key, Measure.id))
    return [{"measure_number": number or "", "title": title, "field_code": code, "field_name": name,
             "status": ActionStatus(status).value, "progress_percent": progress, "responsible_unit": unit,
             "start_year": start, "end_year": end, "cost_estimate_eur": float(cost) if cost is not None else None,
             "funding_programme": programme, "last_update_on": _plain(last)}
            for number, title, code, name, status, progress, unit, start, end, cost, programme, last
            in db.session.connection().execute(query)]


def kpi_rows() -> list[dict]:
    """Every measured value of every monitored measure's KPIs (plain rows, one query: no objects are built)."""
    query = (select(Measure.number, MeasureKPI.indicator, MeasureKPI.unit, MeasureKPI.baseline,
                    MeasureKPI.target_value, MeasureKPI.target_year, KPIValue.measured_on, KPIValue.district,
                    KPIValue.value)
             .join(MeasureKPI, MeasureKPI.id == KPIValue.kpi_id).join(Measure, Measure.id == MeasureKPI.measure_id)
             .where(Measure.id.in_(select(MonitoredAction.measure_id)))
             .order_by(MeasureKPI.measure_id, MeasureKPI.id, KPIValue.measured_on, KPIValue.district))
    return [{"measure_number": number or "", "indicator": indicator, "unit": unit,
             "baseline": float(baseline) if baseline is not None else None,
             "target_value": float(target) if target is not None else None, "target_year": year,
             "measured_on": day.isoformat(), "district": district, "value": float(value)}
            for number, indicator, unit, baseline, target, year, day, district, value
            in db.session.connection().execute(query)]


def open_data_stamp() -> tuple[str, datetime | None]:
    """A fingerprint of everything the open-data files hold (one query of counts and newest changes: the newest
    KPI value, KPI, status update, action, measure and field) and the time of the newest change. Any change,
    insertion or deletion changes the fingerprint, so a file stored under it is never out of date."""
    from planner.findings.models import MeasureKPI

    def newest(column):
        return select(func.max(column)).scalar_subquery()

    def count(model):
        return select(func.count()).select_from(model).scalar_subquery()

    parts = db.session.execute(select(
        count(KPIValue), newest(KPIValue.id), newest(KPIValue.updated_at),
        count(MeasureKPI), newest(MeasureKPI.updated_at),
        count(StatusUpdate), newest(StatusUpdate.id),
        count(MonitoredAction), newest(MonitoredAction.updated_at), newest(MonitoredAction.last_update_on),
        newest(Measure.updated_at), newest(ActionField.updated_at))).one()
    changed = [p for p in (parts[2], parts[4], parts[8], parts[10], parts[11]) if p is not None]
    latest = max((p if p.tzinfo else p.replace(tzinfo=UTC) for p in changed), default=None)
    fingerprint = hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()[:32]
    return fingerprint, latest


OPEN_DATA_GRACE_S = 600


def open_data_file(folder: Path, dataset: str, fmt: str) -> tuple[Path, str, datetime | None]:
    """The open-data file ``dataset.fmt`` as of the data's newest change: built once per change and kept in
    ``folder`` (shared by every worker; written to a temporary name and renamed, so a reader never sees half a
    file), older copies removed after a grace time. Returns the file, its ETag and the time of the data's newest
    change."""
    stamp, changed = open_data_stamp()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dataset}-{stamp}.{fmt}"
    if not path.exists():
        rows = measure_rows() if dataset == "measures" else kpi_rows()
        columns = MEASURE_COLUMNS if dataset == "measures" else KPI_COLUMNS
        body = to_csv(rows, columns) if fmt == "csv" else json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{dataset}-", suffix=f".{fmt}")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(body)
        os.replace(temporary, path)
        # Older copies go once no request can still be about to send them (another worker may have just chosen
        # one: the grace keeps it for OPEN_DATA_GRACE_S).
        for old in folder.glob(f"{dataset}-*.{fmt}"):
            try:
                if old != path and old.stat().st_mtime < time.time() - OPEN_DATA_GRACE_S:
                    old.unlink()
            except FileNotFoundError:
                pass
    return path, stamp, changed


def to_csv(rows: list[dict], columns) -> str:
    """The rows as CSV (the csv module writes None as an empty cell; dates are written as ISO dates)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    getters = [(key, key in ("measured_on", "last_update_on")) for key in columns]
    writer.writerows([_plain(row.get(key)) if dated else row.get(key) for key, dated in getters] for row in rows)
    return out.getvalue()


def catalogue(base_url: str, city: str, modified: date) -> dict:
    """A DCAT-AP.de description (JSON-LD) of the two datasets, for the city's open-data portal to harvest;
    ``modified`` is the day the data last changed."""
    licence = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"

    def dataset(key: str, title: str, description: str) -> dict:
        return {
            "@id": f"{base_url}/monitoring/open-data#{key}",
            "@type": "dcat:Dataset",
            "dct:title": title,
            "dct:description": description,
            "dct:publisher": {"@type": "foaf:Organization", "foaf:name": f"Stadt {city}"},
            "dct:modified": {"@value": modified.isoformat(), "@type": "xsd:date"},
            "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/DEU"},
            "dcat:theme": {"@id": "http://publications.europa.eu/resource/authority/data-theme/GOVE"},
            "dcatde:contributorID": {"@id": "http://dcat-ap.de/def/contributors/" + city.lower()},
            "dcat:keyword": ["Smart City", "Monitoring", "Umsetzung", "Kennzahlen"],
            "dcat:distribution": [
                {"@type": "dcat:Distribution", "dct:format": {"@id": fmt_id},
                 "dcat:accessURL": {"@id": f"{base_url}/monitoring/open-data/{key}.{ext}"},
                 "dcat:downloadURL": {"@id": f"{base_url}/monitoring/open-data/{key}.{ext}"},
                 "dcat:mediaType": media, "dct:license": {"@id": licence}}
                for ext, media, fmt_id in (
                    ("csv", "text/csv", "http://publications.europa.eu/resource/authority/file-type/CSV"),
                    ("json", "application/json", "http://publications.europa.eu/resource/authority/file-type/JSON"))
            ],
        }

    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#",
                     "dcatde": "http://dcat-ap.de/def/dcatde/"},
        "@id": f"{base_url}/monitoring/open-data",
        "@type": "dcat:Catalog",
        "dct:title": f"Smart City {city}: Umsetzung der Strategie",
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": f"Stadt {city}"},
        "dcat:dataset": [
            dataset("measures", f"Smart-City-Maßnahmen {city}: Status und Fortschritt",
                    "Jede vom Rat beschlossene Maßnahme der Smart-City-Strategie mit Status, Fortschritt, "
                    "zuständiger Stelle, Zeitraum und Kostenschätzung."),
            dataset("kpi-values", f"Smart-City-Kennzahlen {city}",
                    "Die Kennzahlen der Maßnahmen mit Ausgangswert, Ziel und den gemessenen Werten."),
        ],
    }
