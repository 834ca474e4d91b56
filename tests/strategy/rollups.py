"""A hand-built roll-up: the exporters are tested with this, never with the database."""

from datetime import UTC, date, datetime

from planner.strategy.rollup import (
    KPI,
    Annex,
    BlockDoc,
    Chart,
    Dependency,
    FieldChapter,
    FieldPriorityInfo,
    MeasureSheet,
    MeasureSources,
    Need,
    OrganisationEntry,
    OverviewRow,
    ParticipantCount,
    PriorityRun,
    ProcessInfo,
    ReadinessIssue,
    RoadmapEntry,
    RoadmapStage,
    Rollup,
    Section,
    Source,
    StartingPoint,
    StatusItem,
    SurveySummary,
    WorkshopDoc,
    WorkshopSummary,
)

FIELDS = (
    ("UMW", "Smarte Umwelt", "Smart environment"),
    ("MOB", "Smarte Mobilität und Infrastruktur", "Smart mobility and infrastructure"),
    ("BIL", "Smarte Bildung", "Smart education"),
    ("SER", "Smarte Services / Verwaltung", "Smart services / administration"),
    ("GES", "Smart Health", "Smart health"),
    ("WOH", "Smartes Wohnen und Quartiere", "Smart living and neighbourhoods"),
    ("WWF", "Smarte Wirtschaft, Wissenschaft und Forschung", "Smart economy, science and research"),
)


def measure(code: str, n: int, **kw) -> MeasureSheet:
    values = dict(
        id=n, number=f"{code}-M{n:02d}", title=f"Maßnahme {code} {n}", field_code=code,
        description="Eine **wichtige** Maßnahme.", goal="Ziel der Maßnahme", expected_effect="Weniger Verkehr",
        lead_unit="Amt für Digitalisierung", partners="Stadtwerke", funding="grant", cost_estimate="250.000 €",
        priority="high", start_year=2023, end_year=2025 + n, milestone=2030, bitkom_area="Mobilität",
        official_answer="", kpis=(KPI("Sensoren in Betrieb", "Anzahl", "0", "500", 2030),),
        need_numbers=(f"{code}-B{n:02d}",), depends_on=(), score=90.0 - n, rank=n,
    )
    values.update(kw)
    return MeasureSheet(**values)


def chapter(code: str, name_de: str, name_en: str, index: int) -> FieldChapter:
    m = measure(code, index, milestone=2030 if index % 2 else 2025, end_year=2029 if index % 2 else 2025)
    return FieldChapter(
        code=code, name_de=name_de, name_en=name_en, description_de=f"Beschreibung {name_de}.",
        description_en=f"Description {name_en}.", colour="#1d4e89", workshops_held=("Workshop 1",),
        status_quo=(StatusItem(f"{code}-B90", "strength", "Gute Datenlage"),
                    StatusItem(f"{code}-B91", "risk", "Fachkräftemangel")),
        needs=(Need(index, f"{code}-B{index:02d}", f"Handlungsbedarf {code}",
                    Source("workshop", "Workshop 1", date(2022, 3, 10), "Handlungsbedarfe"), (m.number,)),),
        measures=(m,), priority=FieldPriorityInfo(80.0 - index, index, 3.5, 4.0),
    )


def rollup(**kw) -> Rollup:
    chapters = tuple(chapter(code, de, en, i) for i, (code, de, en) in enumerate(FIELDS, start=1))
    sheets = [m for c in chapters for m in c.measures]
    values = dict(
        schema=1, locale="de", short=False,
        process=ProcessInfo("Essen", "CONNECTED.ESSEN – Smart City-Strategie 2040", "Eine digitale Stadt.", 2040,
                            (2025, 2030, 2035, 2040)),
        sections=(
            Section("foreword", "", "Liebe Essenerinnen und Essener, ...", 0),
            Section("vision", "", "Essen 2040 ist **lebenswert**.", 1),
            Section("starting_point_intro", "", "Die Ausgangslage.", 2),
            Section("governance", "", "Die Steuerung.", 3),
            Section("monitoring", "", "", 4),
            Section("communication", "", "Beteiligung.", 5),
        ),
        starting_point=StartingPoint(
            workshops=(WorkshopSummary(1, "Workshop 1", date(2022, 3, 10), "virtual", "documented", ("MOB", "UMW"),
                                       40, 30, 28),),
            participants_total=30, attended_total=28, organisations_total=12,
            by_sector=(ParticipantCount("administration", 20, 18), ParticipantCount("science", 10, 10)),
            by_field=tuple(ParticipantCount(code, 10, 9) for code, _de, _en in FIELDS),
            surveys=(SurveySummary(1, "Bürgerbefragung 2022", "1", date(2022, 6, 30), date(2022, 7, 31), 2043, 1017,
                                   (("Digitalisierung sehr wichtig", "46 %"),),
                                   (Chart("Wichtigkeit", "Anteil der Antworten", "percent",
                                          ("sehr wichtig", "wichtig"), (46.0, 40.0)),)),),
        ),
        fields=chapters,
        overview=tuple(OverviewRow(i, m.number, m.title, m.field_code, m.priority, m.score, m.start_year, m.end_year)
                       for i, m in enumerate(sheets, start=1)),
        roadmap=tuple(RoadmapStage(y, tuple(RoadmapEntry(m.number, m.title, m.field_code, m.start_year, m.end_year)
                                            for m in sheets if m.milestone == y)) for y in (2025, 2030, 2035, 2040)),
        unscheduled=(),
        dependencies=(Dependency("MOB-M02", "MOB", "UMW-M01", "UMW"),),
        annex=Annex(
            workshops=(WorkshopDoc("Workshop 1", date(2022, 3, 10), (
                BlockDoc("Status quo", "status_quo", (StatusItem("MOB-B90", "strength", "Gut"),)),)),),
            organisations=(OrganisationEntry("Universität", "science", ("Dr. Erika Expertin",)),),
            sources=tuple(MeasureSources(m.number, m.title, ()) for m in sheets),
        ),
        priority_run=PriorityRun(3, "Priorisierung Herbst 2022", datetime(2022, 9, 1, 8, 0, tzinfo=UTC),
                                 "0,5 × Bürger + 0,5 × Fachleute"),
        readiness=(ReadinessIssue("section_unwritten", "monitoring"),),
        version=None,
    )
    values.update(kw)
    return Rollup(**values)
