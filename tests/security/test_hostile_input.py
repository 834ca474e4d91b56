"""Every form, every POST endpoint, driven with random and hostile input: never a 500, nothing stored when refused.

The form fields come from the FlaskForm subclasses in planner/*/forms.py (their field types decide which
hostile values are drawn); the names sent to an endpoint are the ones its own page renders, or, for POST-only
endpoints (buttons), a random choice of all known field names.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from wtforms import fields as wt

from planner.core.permissions import Role
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app
from tests.security.helpers import build_url, endpoints_with, row_counts, sign_in_as

PLANNER = Path(__file__).resolve().parents[2] / "planner"
# Signing out would end the run; the rest is fair game.
SKIP = {"accounts.logout"}

HOSTILE = [
    "", " ", "\x00", "a\x00b", "\x01\x02\x1b[31m", "\u202e\u0645\u0631\u062d\u0628\u0627 RTL", "\u200b\u200d",
    "😀🏳️‍🌈👩‍👩‍👧", "' OR 1=1 --", "'; DROP TABLE users; --", "\" onmouseover=\"alert(1)",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{ 7*7 }}", "${7*7}", "%s%s%n", "../../etc/passwd",
    "=HYPERLINK(\"http://evil\")", "+SUM(1)", "@cmd", "-1", "0", "-2147483649", "9223372036854775808",
    "1e309", "NaN", "inf", "1.5", "0x10", "2022-02-30", "0000-00-00", "9999-99-99", "2022-13-01", "31.12.2022",
    "25:61", "-1-01-01", "true", "null", "None", "[]", "{}", "a" * 5000,
]


def discover_forms() -> dict[str, type]:
    """Field name -> WTForms field class, from every FlaskForm subclass in planner/*/forms.py."""
    kinds: dict[str, type] = {}
    for path in sorted(PLANNER.glob("*/forms.py")):
        module = importlib.import_module(f"planner.{path.parent.name}.forms")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls is not FlaskForm:
                for attr, value in vars(cls).items():
                    field_class = getattr(value, "field_class", None)
                    if field_class is not None:
                        kinds.setdefault(attr, field_class)
    return kinds


FORM_FIELDS = discover_forms()


def huge() -> st.SearchStrategy[str]:
    return st.integers(min_value=1_000, max_value=100_000).map(lambda n: ("Ä<'\"\x00" * (n // 5 + 1))[:n])


def values_for(field_class) -> st.SearchStrategy[str]:
    common = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300), huge())
    if field_class and issubclass(field_class, wt.IntegerField | wt.DecimalField | wt.FloatField):
        return st.one_of(st.integers(min_value=-(10**30), max_value=10**30).map(str), common)
    if field_class and issubclass(field_class, wt.DateField | wt.DateTimeField | wt.TimeField):
        return st.one_of(st.dates().map(str), st.sampled_from(["2022-02-30", "0001-01-01", "9999-12-31", ""]), common)
    if field_class and issubclass(field_class, wt.BooleanField):
        return st.one_of(st.sampled_from(["y", "", "0", "false"]), common)
    return common


def field_names_on_page(html: str) -> list[str]:
    names = re.findall(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"', html)
    return sorted({n for n in names if n not in ("csrf_token",)})


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    app = make_test_app(tmp)
    with app.app_context():
        db.create_all()
        factories.process()
        admin = factories.user(role=Role.ADMIN)
        db.session.commit()
        app.config["FUZZ_ADMIN"] = admin
        endpoints = [e for e in endpoints_with(app, "POST") if e not in SKIP]
        app.config["FUZZ_URLS"] = {e: build_url(app, e) for e in endpoints}
    yield app
    with app.app_context():
        db.engine.dispose()


def post_endpoints() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        app = make_test_app(Path(tmp), SQLALCHEMY_DATABASE_URI="sqlite://")
        return [e for e in endpoints_with(app, "POST") if e not in SKIP]


@pytest.mark.parametrize("endpoint", post_endpoints())
def test_hostile_input_never_breaks_an_endpoint(fuzz_app, endpoint):
    app = fuzz_app
    url = app.config["FUZZ_URLS"].get(endpoint)
    if url is None:
        pytest.skip(f"{endpoint}: no permission rule to build its URL")
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, db.session.merge(app.config["FUZZ_ADMIN"]))
    page = client.get(url)
    names = field_names_on_page(page.get_data(as_text=True)) if page.status_code == 200 else []

    # Bounded: 12 examples per endpoint, no shrinking (the failing input is printed as it was).
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.explicit, Phase.generate])
    @given(data=st.data())
    def run(data):
        chosen = names or data.draw(st.lists(st.sampled_from(sorted(FORM_FIELDS)), max_size=6, unique=True))
        form = {name: data.draw(values_for(FORM_FIELDS.get(name)), label=name) for name in chosen}
        with app.app_context():
            before = row_counts()
        response = client.post(url, data=form)
        assert response.status_code < 500, f"{endpoint} answered {response.status_code} to {form!r:.500}"
        # A success redirect may store; so may a download (its audit entry records who exported what).
        if response.status_code != 302 and "attachment" not in response.headers.get("Content-Disposition", ""):
            with app.app_context():
                assert row_counts() == before, f"{endpoint} stored something from a refused submission"

    run()
