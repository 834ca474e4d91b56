"""A hand-built roll-up (the current schema): the outline is tested with this, never with the database."""

from datetime import UTC, date, datetime

from planner.strategy.rollup import (
    KPI,
    SCHEMA,
    Annex,
    BlockDoc,
    Chart,
    Dependency,
    FieldChapter,
    FieldPriorityInfo,
    KeyFigure,
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
        lead_unit="Amt für Digitalisierung", partners="Stadtwerke", funding="grant", cost_estimate=650000.0,
        priority="high", start_year=2023, end_year=2025 + n, milestone=2030, bitkom_area="energy_environment",
        official_answer="", kpis=(KPI("Sensoren in Betrieb", "Anzahl", 11.0, 5.0, 2030),),
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
        schema=SCHEMA, locale="de", short=False,
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
                                   (KeyFigure("Digitalisierung sehr wichtig", "share", 940, 2043),
                                    KeyFigure("Online-Angebote der Stadt", "mean", base=2000, mean=3.75, scale=5)),
                                   (Chart("choice", "Wie wichtig ist Digitalisierung?", 2043,
                                          ("sehr wichtig", "wichtig"), (0.46, 0.40)),
                                    Chart("field_ratings", "", 2000, ("MOB", "SER"), (4.2, 3.9), scale=5))),),
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
                                 (("citizen", 0.4), ("impact", 0.2), ("feasibility", 0.15), ("cost", 0.1),
                                  ("urgency", 0.15))),
        readiness=(ReadinessIssue("section_unwritten", "monitoring"),),
        version=None,
    )
    values.update(kw)
    return Rollup(**values)
