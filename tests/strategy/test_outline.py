"""The outline of a hand-built roll-up: words, numbers and dates in the paper's language, whoever asks."""

import dataclasses
from datetime import date

from flask_babel import force_locale

from planner.strategy.outline import Formatter, build_outline
from tests.strategy.rollups import rollup


def _words(outline) -> str:
    """Every text a reader of the outline sees."""
    parts = [outline.title, outline.subtitle, outline.version_label]

    def walk(value):
        if isinstance(value, tuple | list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            parts.append(value)

    for b in outline.blocks:
        walk(dataclasses.astuple(b))
    return "\n".join(parts)


def test_babel_formats_in_the_papers_language():
    de, en = Formatter("de"), Formatter("en")
    assert de.money(650000) == "650.000\xa0€" and en.money(650000) == "€650,000"
    assert de.number(0.72) == "0,72" and en.number(0.72) == "0.72"
    assert de.date(date(2022, 3, 17)) == "17. März 2022" and en.date(date(2022, 3, 17)) == "17 March 2022"
    assert de.percent(0.46) == "46\xa0%" and en.percent(0.46) == "46%"
    assert de.count(2043) == "2.043" and en.count(2043) == "2,043"
    assert de.money(None) == "–" and de.years(2023, 2023) == "2023"


def test_outline_is_in_its_language_whatever_the_current_locale(ctx):
    with force_locale("en"):
        german = build_outline(rollup(), "de")
    with force_locale("de"):
        english = build_outline(rollup(), "en")
    g, e = _words(german), _words(english)
    assert german.language == "de" and english.language == "en"
    assert "Handlungsfelder" in g and "Maßnahmensteckbrief MOB-M02" in g and "650.000\xa0€" in g
    assert "Action fields" in e and "Fact sheet MOB-M02" in e and "€650,000" in e
    assert "1. September 2022" in g and "1 September 2022" in e
    for label in ("Handlungsfelder", "Federführung", "Priorität", "Zusagen", "Kostenschätzung"):
        assert label not in e
    for raw in ("energy_environment", "'grant'", "'high'", "650000"):
        assert raw not in g and raw not in e


def test_figures_carry_alt_text_and_their_data_table(ctx):
    outline = build_outline(rollup(), "de")
    figures = [b for b in outline.blocks if b.block == "figure"]
    assert {f.anchor for f in figures} >= {"participants-sector", "roadmap-chart"}
    for figure in figures:
        assert figure.alt and figure.title and figure.table.rows
        assert len(figure.table.rows) == len(figure.bars or figure.spans)
    survey = next(f for f in figures if f.title == "Wie wichtig ist Digitalisierung?")
    assert [b.text for b in survey.bars] == ["46\xa0%", "40\xa0%"]
    assert "2.043" in survey.alt, "the base of every percentage"


def test_short_edition_is_a_summary(ctx):
    long = build_outline(rollup(), "de", "long")
    short = build_outline(rollup(), "de", "short")
    headings = [b.text for b in short.blocks if b.block == "heading" and b.level == 1]
    assert "Zusammenfassung" in headings and "Anhang" not in headings and "Ausgangslage" not in headings
    assert any(b.block == "keyfigures" and "Befragung" in b.caption for b in short.blocks)
    assert len(short.blocks) < len(long.blocks) / 2
    assert short.subtitle.endswith("Kurzfassung")


def test_gaps_are_named_in_words(ctx):
    r = rollup(process=dataclasses.replace(rollup().process, milestone_years=(2025, 2030)))
    text = _words(build_outline(r, "de"))
    assert "Der Fahrplan endet 2030 und reicht noch nicht bis zum Zieljahr 2040." in text
    empty = dataclasses.replace(r, fields=(dataclasses.replace(r.fields[0], measures=()),))
    assert "In diesem Handlungsfeld ist noch keine Maßnahme beschlossen." in _words(build_outline(empty, "de"))


def test_monitoring_has_the_kpi_overview_and_the_annex_the_prioritisation_method(ctx):
    outline = build_outline(rollup(), "de")
    tables = {b.caption: b for b in outline.blocks if b.block == "table"}
    kpis = tables["Die Kennzahlen der beschlossenen Maßnahmen mit Ausgangs- und Zielwert"]
    assert ("MOB-M02", "Maßnahme MOB 2", "Sensoren in Betrieb (Anzahl)", "11", "5", "2030") in kpis.rows
    weights = tables["Kriterien und ihre Gewichte"]
    assert ("Bürgerschaft", "40\xa0%") in weights.rows and ("Kosten", "10\xa0%") in weights.rows
    headings = [b.text for b in outline.blocks if b.block == "heading"]
    assert headings.index("Kennzahlen im Überblick") == headings.index("Monitoring und Evaluation") + 1
    assert headings[-1] == "Methode der Priorisierung"


def test_the_index_of_needs_speaks_the_papers_language(ctx):
    """“Source” and “answered by” were built inside f-strings, so Babel never extracted them: the German
    paper said “(Source: Workshop „…“ am …; answered by MOB-M02)”."""
    with force_locale("en"):
        german = _words(build_outline(rollup(), "de"))
    english = _words(build_outline(rollup(), "en"))
    assert "(Quelle: Workshop „Workshop 1“ am 10. März 2022" in german
    assert "; beantwortet durch MOB-M02)" in german
    assert "Source" not in german and "answered by" not in german
    assert "(Source: Workshop “Workshop 1” on 10 March 2022" in english and "; answered by MOB-M02)" in english


def test_the_workshops_sentence_separates_accepted_and_attended(ctx):
    """The paper said "6 Workshops mit 98 teilnehmenden Fachleuten" where 98 had accepted and 93 took part
    (the table beside it says so)."""
    german = _words(build_outline(rollup(), "de"))
    english = _words(build_outline(rollup(), "en"))
    assert "30 Fachleute aus 12 Organisationen haben eine Einladung angenommen. 28 von ihnen haben teilgenommen." \
        in german
    assert "30 experts from 12 organisations accepted an invitation. 28 of them took part." in english
    assert "teilnehmenden Fachleuten" not in german
