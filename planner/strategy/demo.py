"""Demo content of the concept paper: German section texts, version 1 frozen, an open review round."""

from datetime import UTC, date, datetime

from sqlalchemy import update

from planner.core.permissions import Role
from planner.demo.data import TEXTS
from planner.extensions import db
from planner.strategy import review, versions
from planner.strategy.models import PaperSection, PaperVersion

SECTIONS = (
    ("foreword", "Vorwort des Oberbürgermeisters", (
        f"{TEXTS['foreword_greeting']} Schritt für Schritt zu einer Smart City, die den "
        "Menschen dient. Mehr als hundert Fachleute aus Verwaltung, Wirtschaft und Wissenschaft haben in "
        "vier Workshops den Status quo erhoben und Handlungsbedarfe benannt; über zweitausend Bürgerinnen und "
        "Bürger haben sich an der Online-Befragung beteiligt. Dieses Handlungskonzept bündelt ihre Ideen zu "
        "Maßnahmen bis 2040.\n\n"
        "Ich danke allen, die mitgewirkt haben.\n\n"
        "*Ihr Oberbürgermeister (fiktiver Demotext)*"
    )),
    ("vision", "Leitbild 2040", None),
    ("starting_point_intro", "Ausgangslage", (
        "Die Stadt hat 2022 einen breit angelegten Beteiligungsprozess gestartet: ganztägige virtuelle "
        "Strategie-Workshops je Handlungsfeld und eine Bürgerbefragung vom 30. Juni bis 31. Juli 2022. "
        "Die folgenden Zahlen fassen zusammen, wer beteiligt war."
    )),
    ("governance", "Steuerung und Organisation", (
        "Die Umsetzung steuert die Stabsstelle Smart City gemeinsam mit einem Lenkungskreis aus "
        "Verwaltungsvorstand, städtischen Beteiligungen und Partnern aus Wirtschaft und Wissenschaft.\n\n"
        "- Lenkungskreis: tagt zweimal im Jahr\n"
        "- Handlungsfeld-Teams: je eine Federführung aus der Fachverwaltung\n"
        "- Smart City-Büro: Koordination, Fördermittel, Kommunikation"
    )),
    ("monitoring", "Monitoring und Evaluation", (
        "Jede Maßnahme hat Kennzahlen mit Ausgangs- und Zielwert. Das Smart City-Büro berichtet jährlich "
        "dem Rat über den Fortschritt; zu den Meilensteinen 2025, 2030 und 2035 wird das Konzept "
        "fortgeschrieben."
    )),
    ("communication", "Kommunikation und Beteiligung", (
        "Ab dem dritten Quartal 2022 beziehen Präsenzformate Bürgerinnen und Bürger sowie die politischen "
        "Gremien – Ausschüsse und Bezirksvertretungen – in die Weiterentwicklung ein. Ergebnisse werden "
        "offen veröffentlicht."
    )),
)


def seed(ctx) -> None:
    strategist = ctx.users.get(Role.STRATEGY_TEAM) or ctx.users.get("strategy_team")
    reviewer = ctx.users.get(Role.REVIEWER) or ctx.users.get("reviewer")
    for position, (key, title, body) in enumerate(SECTIONS):
        db.session.add(PaperSection(key=key, title=title, body=body if body is not None else ctx.process.vision,
                                    position=position, updated_by=strategist))
    db.session.flush()
    version = versions.freeze_version(strategist, "Entwurf für die Abstimmung mit Ausschüssen und Partnern")
    # The demo tells 2022's story: the draft was frozen then (a Core UPDATE: the model refuses to change it).
    db.session.execute(update(PaperVersion).where(PaperVersion.id == version.id)
                       .values(frozen_at=datetime(2022, 11, 2, 9, 0, tzinfo=UTC)))
    db.session.refresh(version)
    round_ = review.create_round(version, strategist, title="Abstimmung mit dem Ratsausschuss Digitalisierung",
                                 due_on=date(2022, 11, 30))
    if reviewer is not None:
        review.add_member(round_, strategist, user_id=reviewer.id, body_label="Ratsausschuss für Digitalisierung")
        review.add_comment(
            round_, reviewer, target="section:governance",
            text="Bitte ergänzen, wie die Bezirksvertretungen in den Lenkungskreis eingebunden werden.",
        )
    db.session.flush()
