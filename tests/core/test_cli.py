from sqlalchemy import func, select

from planner.accounts.models import User
from planner.core.permissions import Role
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess
from planner.findings.models import Finding, FindingKind, Measure
from planner.people.models import Person
from planner.workshops.models import Workshop, WorkshopFormat


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_create_user_bootstraps_an_administrator(app, runner):
    result = runner.invoke(
        args=["create-user", "--email", "Chefin@Stadt.example", "--role", "admin", "--password", "sehr-geheim-123"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "chefin@stadt.example" and user.role == Role.ADMIN
        assert user.check_password("sehr-geheim-123")


def test_create_user_prompts_for_the_password(app, runner):
    result = runner.invoke(
        args=["create-user", "--email", "a@example.org", "--role", "strategy_team"],
        input="sehr-geheim-123\nsehr-geheim-123\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User)).check_password("sehr-geheim-123")


def test_create_user_refuses_bad_input_and_stores_nothing(app, runner):
    runner.invoke(args=["create-user", "--email", "a@example.org", "--role", "admin", "--password", "sehr-geheim-1"])
    twice = runner.invoke(args=["create-user", "--email", "A@example.org", "--role", "expert", "--password", "x" * 12])
    short = runner.invoke(args=["create-user", "--email", "b@example.org", "--role", "expert", "--password", "kurz"])
    role = runner.invoke(args=["create-user", "--email", "c@example.org", "--role", "boss", "--password", "x" * 12])
    assert twice.exit_code != 0 and short.exit_code != 0 and role.exit_code != 0
    with app.app_context():
        assert count(User) == 1


def test_seed_demo_loads_the_essen_process_once(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        snapshot = {m.__name__: count(m) for m in (ActionField, Workshop, Person, Finding, Measure, User)}
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already" in second.output
    with app.app_context():
        assert {m.__name__: count(m) for m in (ActionField, Workshop, Person, Finding, Measure, User)} == snapshot
        process = StrategyProcess.current()
        assert process.city_name == "Essen" and process.target_year == 2040
        codes = [f.code for f in db.session.scalars(select(ActionField).order_by(ActionField.position))]
        assert codes == ["UMW", "MOB", "BIL", "SER", "GES", "WOH", "WWF"]
        workshops = db.session.scalars(
            select(Workshop).where(Workshop.format == WorkshopFormat.VIRTUAL).order_by(Workshop.starts_at)
        ).all()
        assert len(workshops) >= 4
        health = next(w for w in workshops if "Smart Health" in w.title)
        assert (health.starts_at.year, health.starts_at.month) == (2022, 5) and health.starts_at.day <= 10
        assert (health.ends_at - health.starts_at).total_seconds() >= 6 * 3600  # full-day
        assert count(Person) >= 100
        others = db.session.scalars(select(Person).where(Person.email != "expertin@example.org"))
        assert all(p.is_fictional for p in others)
        assert {u.role for u in db.session.scalars(select(User))} == set(Role)
        for code in codes:  # needs and measures in every field
            field = db.session.scalar(select(ActionField).where(ActionField.code == code))
            assert count(Finding, Finding.field_id == field.id, Finding.kind == FindingKind.NEED) >= 1
            assert count(Measure, Measure.field_id == field.id) >= 1
        expert = db.session.scalar(select(User).where(User.role == Role.EXPERT))
        assert expert.person is not None and expert.person.participations


def test_demo_accounts_can_sign_in(app, runner, client):
    runner.invoke(args=["seed-demo"])
    for email in ("admin@example.org", "moderation@example.org", "expertin@example.org",
                  "strategie@example.org", "pruefung@example.org"):
        response = client.post("/login", data={"email": email, "password": "planner-demo"})
        assert response.status_code == 302, email
        client.post("/logout")
