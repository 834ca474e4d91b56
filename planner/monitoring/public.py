"""What the public sees of the implementation: per action field, each adopted measure with its status, progress and
KPI values, and where it came from ("Sie haben gesagt – wir haben getan": the workshop needs and the citizens'
rating, from the adopted version's frozen roll-up, which never holds hidden findings). No person is named.
Also the open data: measures, KPI values and a DCAT-AP.de catalogue for the city's open-data portal."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.extensions import db
from planner.findings.models import Measure, MeasureKPI
from planner.monitoring.models import KPIValue, MonitoredAction
from planner.strategy import versions
from planner.strategy.rollup import MeasureSheet, Need


@dataclass
class PublicMeasure:
    action: MonitoredAction
    sheet: MeasureSheet | None
    needs: list[Need] = field(default_factory=list)
    values: dict[int, list[KPIValue]] = field(default_factory=dict)


@dataclass
class PublicField:
    code: str
    name_de: str
    name_en: str
    measures: list[PublicMeasure]

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_de


def _actions() -> list[MonitoredAction]:
    return list(db.session.scalars(
        select(MonitoredAction).join(Measure, Measure.id == MonitoredAction.measure_id)
        .options(selectinload(MonitoredAction.measure).selectinload(Measure.field),
                 selectinload(MonitoredAction.measure).selectinload(Measure.kpis),
                 selectinload(MonitoredAction.updates), selectinload(MonitoredAction.adopted_version))
        .order_by(Measure.number_key, Measure.id)))


def _values(actions) -> dict[int, list[KPIValue]]:
    kpi_ids = [k.id for a in actions for k in a.measure.kpis]
    values: dict[int, list[KPIValue]] = {i: [] for i in kpi_ids}
    if kpi_ids:
        for row in db.session.scalars(select(KPIValue).where(KPIValue.kpi_id.in_(kpi_ids))
                                      .order_by(KPIValue.measured_on, KPIValue.district)):
            values[row.kpi_id].append(row)
    return values


def dashboard() -> list[PublicField]:
    actions = _actions()
    values = _values(actions)
    rollups = {}
    for action in actions:
        version = action.adopted_version
        if version is not None and version.id not in rollups:
            rollups[version.id] = versions.version_rollup(version)
    fields: dict[str, PublicField] = {}
    for action in actions:
        rollup = rollups.get(action.adopted_version_id)
        sheet = next((m for m in rollup.measures() if m.id == action.measure_id), None) if rollup else None
        needs = []
        if rollup and sheet:
            chapter = rollup.field(sheet.field_code)
            needs = [n for n in (chapter.needs if chapter else ()) if sheet.number in n.measure_numbers]
        f = action.measure.field
        entry = fields.setdefault(f.code, PublicField(f.code, f.name_de, f.name_en, []))
        entry.measures.append(PublicMeasure(action, sheet, needs, {k.id: values[k.id] for k in action.measure.kpis}))
    return list(fields.values())


# --- open data -------------------------------------------------------------------------------------------------

MEASURE_COLUMNS = ("measure_number", "title", "field_code", "field_name", "status", "progress_percent",
                   "responsible_unit", "start_year", "end_year", "cost_estimate_eur", "funding_programme",
                   "last_update_on")
KPI_COLUMNS = ("measure_number", "indicator", "unit", "baseline", "target_value", "target_year", "measured_on",
               "district", "value")


def _plain(value):
    return "" if value is None else (value.isoformat() if isinstance(value, date) else value)


def measure_rows() -> list[dict]:
    rows = []
    for action in _actions():
        m = action.measure
        last = action.updates[0].reported_on if action.updates else None
        rows.append({
            "measure_number": m.number or "", "title": m.title, "field_code": m.field.code,
            "field_name": m.field.name_de, "status": action.status.value, "progress_percent": action.progress,
            "responsible_unit": action.responsible_unit, "start_year": m.start_year, "end_year": m.end_year,
            "cost_estimate_eur": float(m.cost_estimate) if m.cost_estimate is not None else None,
            "funding_programme": action.funding_programme, "last_update_on": _plain(last),
        })
    return rows


def kpi_rows() -> list[dict]:
    monitored = select(MonitoredAction.measure_id)
    kpis = db.session.scalars(select(MeasureKPI).where(MeasureKPI.measure_id.in_(monitored))
                              .options(selectinload(MeasureKPI.measure)).order_by(MeasureKPI.measure_id,
                                                                                 MeasureKPI.id)).all()
    values = {}
    if kpis:
        for row in db.session.scalars(select(KPIValue).where(KPIValue.kpi_id.in_([k.id for k in kpis]))
                                      .order_by(KPIValue.measured_on, KPIValue.district)):
            values.setdefault(row.kpi_id, []).append(row)
    rows = []
    for k in kpis:
        base = {"measure_number": k.measure.number or "", "indicator": k.indicator, "unit": k.unit,
                "baseline": float(k.baseline) if k.baseline is not None else None,
                "target_value": float(k.target_value) if k.target_value is not None else None,
                "target_year": k.target_year}
        for v in values.get(k.id, []):
            rows.append({**base, "measured_on": v.measured_on.isoformat(), "district": v.district,
                         "value": float(v.value)})
    return rows


def to_csv(rows: list[dict], columns) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _plain(row.get(key)) for key in columns})
    return out.getvalue()


def catalogue(base_url: str, city: str, today: date) -> dict:
    """A DCAT-AP.de description (JSON-LD) of the two datasets, for the city's open-data portal to harvest."""
    licence = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"

    def dataset(key: str, title: str, description: str) -> dict:
        return {
            "@id": f"{base_url}/monitoring/open-data#{key}",
            "@type": "dcat:Dataset",
            "dct:title": title,
            "dct:description": description,
            "dct:publisher": {"@type": "foaf:Organization", "foaf:name": f"Stadt {city}"},
            "dct:modified": {"@value": today.isoformat(), "@type": "xsd:date"},
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
