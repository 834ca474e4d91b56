"""A city that is not the demo: set up from a file, then every page, form and export speaks of it."""

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import func, select

from planner.city.models import CitySettings
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess
from tests.conftest import text_of

ROOT = Path(__file__).resolve().parents[2]
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><title>Lindhaven</title>'
       b'<rect width="40" height="40" fill="#1d4e89"/></svg>')

FIELDS = [
    ("UEK", "Umwelt, Energie und Klima", "Environment, energy and climate", "energy_environment"),
    ("MOV", "Mobilität und Verkehr", "Mobility and transport", "mobility"),
    ("WOL", "Wohnen und Leben", "Housing and living", "society_education"),
    ("TEK", "Teilhabe und Kultur", "Participation and culture", "society_education"),
    ("WIW", "Wissenschaft und Wirtschaft", "Science and economy", "it_communication"),
    ("MAI", "Management und Infrastruktur", "Management and infrastructure", "administration"),
]


def city_file(tmp_path, **changes) -> Path:
    (tmp_path / "logo.svg").write_bytes(SVG)
    data = {
        "city": {
            "name": "Lindhaven", "authority": "Stadt Lindhaven – Die Bürgermeisterin",
            "address": "Am Markt 3\n99999 Lindhaven", "contact": "digital@lindhaven.example",
            "mail_sender": "strategie@lindhaven.example", "feedback_email": "barrieren@lindhaven.example",
            "enforcement_body": "Schlichtungsstelle Barrierefreiheit Nordland", "logo": "logo.svg",
        },
        "process": {"title": "Lindhaven vernetzt 2035", "vision": "Eine **offene** Stadt.", "target_year": 2035,
                    "milestone_years": [2028, 2031, 2035]},
        "fields": [
            {"code": code, "name_de": de, "name_en": en, "description_de": f"Über {de}.",
             "description_en": f"About {en}.", "colour": "#1d4e89", "index_area": area}
            for code, de, en, area in FIELDS
        ],
        "districts": [{"name": "Hafen", "quarters": ["Kai", "Speicherstadt"]}, {"name": "Oberstadt"}],
        "sectors": ["administration", "business", "science"],
    }
    data.update(changes)
    path = tmp_path / "city.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _nothing_saved(app):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionField)) == 0
        assert StrategyProcess.current() is None
        assert CitySettings.get() is None


def test_example_file_in_docs_loads(app, runner):
    result = runner.invoke(args=["init-city", str(ROOT / "docs" / "example-city.json")])
    assert result.exit_code == 0, result.output
    assert "6 action fields" in result.output
    with app.app_context():
        assert CitySettings.get().name == "Musterstadt"
        assert StrategyProcess.current().target_year == 2035


def test_a_fictional_city_everywhere_and_never_the_demo(app, runner, client, auth, tmp_path, outbox):
    result = runner.invoke(args=["init-city", str(city_file(tmp_path))])
    assert result.exit_code == 0, result.output
    with app.app_context():
        settings = CitySettings.get()
        assert settings.logo_mimetype == "image/svg+xml" and settings.districts[0]["quarters"] == ["Kai",
                                                                                                   "Speicherstadt"]
        assert settings.districts[1] == {"name": "Oberstadt", "quarters": []}
        assert [f.code for f in db.session.scalars(select(ActionField).order_by(ActionField.position))] == [
            code for code, *_ in FIELDS]
        assert StrategyProcess.current().city_name == "Lindhaven"

    home = client.get("/")
    home_text = text_of(home)
    assert "Lindhaven" in home_text and "Lindhaven vernetzt 2035" in home_text
    assert all(name in home_text for _, name, _, _ in FIELDS)
    assert 'src="/city/logo"' in home.get_data(as_text=True)
    assert client.get("/city/logo").mimetype == "image/svg+xml"

    auth.login("facilitator")
    form = text_of(client.get("/workshops/new"))
    assert all(name in form for _, name, _, _ in FIELDS)

    # Survey mapping: the city's fields are what an answer option can be mapped to.
    from tests.surveys.helpers import csv_bytes

    auth.logout()
    auth.login("strategy_team")
    response = client.post("/surveys/import", data={"file": (io.BytesIO(csv_bytes()), "befragung.csv"),
                                                    "title": "Befragung"}, content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response)
    mapping = client.get(response.headers["Location"])
    assert all(f"{code}" in mapping.get_data(as_text=True) for code, *_ in FIELDS)

    # Mail goes out under the city's sender.
    client.post("/accessibility", data={"message": "Kontrast zu schwach", "page": "/"})
    mails = outbox()
    assert mails and mails[-1]["From"] == "strategie@lindhaven.example"
    assert mails[-1]["To"] == "barrieren@lindhaven.example"

    for page in (home, client.get("/workshops/new"), mapping, client.get("/privacy"), client.get("/city/imprint"),
                 client.get("/accessibility")):
        assert "Essen" not in text_of(page)

    # The paper: DOCX and PDF read back with independent readers.
    for fmt in ("docx", "pdf"):
        out = tmp_path / f"paper.{fmt}"
        result = runner.invoke(args=["export-paper", "--format", fmt, "--output", str(out)])
        assert result.exit_code == 0, result.output
        if fmt == "docx":
            text = "\n".join(p.text for p in Document(str(out)).paragraphs)
            text += "\n".join(c.text for t in Document(str(out)).tables for row in t.rows for c in row.cells)
        else:
            if not shutil.which("pdftotext"):
                pytest.skip("pdftotext is not installed")
            text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
            text = " ".join(text.replace("-\n", "-").split())
        assert "Lindhaven" in text, fmt
        assert "Mobilität und Verkehr" in text and "Management und Infrastruktur" in text, fmt
        assert "Essen" not in text and "Smarte Umwelt" not in text, fmt

    from planner.strategy.exporters import filename
    from planner.strategy.rollup import build_rollup

    with app.app_context():
        assert filename(build_rollup(), "docx") == "Handlungskonzept-Lindhaven-2035-Entwurf.docx"


def test_legal_pages_carry_the_city(app, runner, client, tmp_path):
    runner.invoke(args=["init-city", str(city_file(tmp_path))])
    imprint = text_of(client.get("/city/imprint"))
    assert "Stadt Lindhaven – Die Bürgermeisterin" in imprint and "Am Markt 3" in imprint
    accessibility = text_of(client.get("/accessibility"))
    assert "Schlichtungsstelle Barrierefreiheit Nordland" in accessibility
    assert "barrieren@lindhaven.example" in accessibility
    privacy = text_of(client.get("/privacy"))
    assert "Stadt Lindhaven – Die Bürgermeisterin" in privacy
    easy = text_of(client.get("/easy-language"))
    assert "2035" in easy and "Lindhaven" in easy
    footer = client.get("/").get_data(as_text=True)
    for href in ("/privacy", "/accessibility", "/easy-language", "/city/imprint"):
        assert f'href="{href}"' in footer


@pytest.mark.parametrize("change, message", [
    ({"council": {}}, "Unbekannter Schlüssel „council“"),
    ({"fields": [{"code": "MOV", "name_de": "A", "name_en": "A"}, {"code": "mov", "name_de": "B", "name_en": "B"}]},
     "Das Kürzel „MOV“ ist bereits vergeben"),
    ({"process": {"title": "X", "target_year": 2030, "milestone_years": [2028, 2035]}},
     "darf nicht vor dem letzten Meilenstein (2035) liegen"),
    ({"process": {"title": "X", "target_year": 2040, "milestone_years": [2035, 2030]}}, "müssen aufsteigen"),
    ({"fields": [{"code": "MOV", "name_de": "A", "name_en": "A", "colour": "blue"}]}, "#rrggbb"),
    ({"fields": [{"code": "MOV", "name_de": "A", "name_en": "A", "shape": "round"}]}, "Unbekannter Schlüssel „shape“"),
    ({"sectors": ["church"]}, "Unbekannter Sektor „church“"),
    ({"districts": [{"name": "Hafen"}, {"name": "hafen"}]}, "doppelt aufgeführt"),
])
def test_a_bad_setup_file_saves_nothing(app, runner, tmp_path, change, message):
    result = runner.invoke(args=["init-city", str(city_file(tmp_path, **change))])
    assert result.exit_code != 0
    assert "Nothing was saved" in result.output and message in result.output, result.output
    _nothing_saved(app)


@pytest.mark.parametrize("logo, message", [
    (b"GIF89a not really", "muss ein PNG- oder SVG-Bild sein"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "kein lesbares PNG-Bild"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (50 * 1024 * 1024), "zu groß"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "Skript"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>', "Skript"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
     b'<image x:href="https://tracker.example/a.png"/></svg>', "verweist auf andere Dateien"),
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
     "kein gültiges SVG-Bild"),
])
def test_a_bad_logo_in_the_file_saves_nothing(app, runner, tmp_path, logo, message):
    path = city_file(tmp_path)
    (tmp_path / "logo.svg").write_bytes(logo)
    result = runner.invoke(args=["init-city", str(path)])
    assert result.exit_code != 0 and message in result.output, result.output
    _nothing_saved(app)


def test_a_file_that_is_not_json_is_refused(app, runner, tmp_path):
    path = tmp_path / "city.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["init-city", str(path)])
    assert result.exit_code != 0 and "not a JSON file" in result.output
    _nothing_saved(app)


def test_a_code_already_in_the_database_is_refused(app, runner, tmp_path):
    from tests import factories

    with app.app_context():
        factories.field(code="MOV")
        db.session.commit()
    result = runner.invoke(args=["init-city", str(city_file(tmp_path))])
    assert result.exit_code != 0 and "Das Kürzel „MOV“ ist bereits vergeben" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionField)) == 1
        assert CitySettings.get() is None


def test_no_code_or_template_names_the_demo_city():
    """The demo's city is named in planner/demo only: every other module and template is any city's."""
    import re

    word = re.compile(r"\bEssen\b|ESSEN")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in (ROOT / "planner", ROOT / "templates")
        for path in folder.rglob("*")
        if path.is_file() and path.suffix in {".py", ".html", ".md", ".txt", ".po", ".js", ".css"}
        and "demo" not in path.relative_to(ROOT).parts[:2]
        and word.search(path.read_text(encoding="utf-8", errors="ignore"))
    ]
    assert not offenders, offenders
