"""Demo content of the concept paper: German section texts, version 1 frozen, an open review round."""

from datetime import date

from planner.core.permissions import Role
from planner.demo.data import TEXTS
from planner.extensions import db
from planner.strategy import review, versions
from planner.strategy.models import PaperSection

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
    round_ = review.create_round(version, strategist, title="Abstimmung mit dem Ratsausschuss Digitalisierung",
                                 due_on=date(2022, 11, 30))
    if reviewer is not None:
        review.add_member(round_, strategist, user_id=reviewer.id, body_label="Ratsausschuss für Digitalisierung")
        review.add_comment(
            round_, reviewer, target="section:governance",
            text="Bitte ergänzen, wie die Bezirksvertretungen in den Lenkungskreis eingebunden werden.",
        )
    db.session.flush()
    _seed_consultation(version, strategist)


def _seed_consultation(version, strategist) -> None:
    """Version 1 open to the public (for four weeks from today), with fictional comments: one answered, one
    waiting for moderation."""
    from datetime import timedelta

    from planner.core.timeutil import local_today
    from planner.strategy import consultation

    today = local_today()
    opened = consultation.save_consultation(
        version, strategist, starts_on=today - timedelta(days=7), ends_on=today + timedelta(days=21),
        intro="Die Stadt bittet um Ihre Meinung zum Entwurf: Was fehlt, was sollte anders werden?")
    answered = consultation.submit_comment(
        opened, 2, text="Bitte auch an ältere Menschen ohne Internet denken (fiktiver Demokommentar).",
        email="buergerin@example.org", display_name="M. Beispiel", confirmed_email="buergerin@example.org")
    answered.email = ""  # a fictional commenter: no address kept, no mail about the answer
    consultation.answer_comment(answered, strategist, "Danke! Servicepunkte in den Bürgerämtern bleiben; das "
                                                      "ergänzen wir im Handlungsfeld Smarte Services.")
    consultation.submit_comment(
        opened, 3, text="Wie werden die Stadtteile im Norden beteiligt? (fiktiver Demokommentar)",
        email="buerger@example.org", confirmed_email="buerger@example.org")
    db.session.flush()
