from planner.core.security import hash_token, new_token
from planner.extensions import db
from planner.workshops.models import (
    AgendaBlock,
    AgendaBlockKind,
    CalendarFeedKind,
    CalendarToken,
    WorkshopKind,
    WorkshopStatus,
)
from tests import factories
from tests.permission_rules import PUBLIC, SIGNED_IN, Rule

FACILITATOR = ("facilitator",)
NOT_PARTICIPANTS = {"expert": 403, "strategy_team": 403, "reviewer": 403}


def _workshop():
    return {"workshop_id": factories.workshop().id}


def _block():
    workshop = factories.workshop()
    block = AgendaBlock(workshop=workshop, position=0, title="Begrüßung", kind=AgendaBlockKind.WELCOME,
                        duration_minutes=15)
    db.session.add(block)
    db.session.flush()
    return {"workshop_id": workshop.id, "block_id": block.id}


def _dialogue():
    return {"workshop_id": factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, status=WorkshopStatus.SCHEDULED,
                                              capacity=10).id}


def _registration_link():
    from planner.workshops.services import registration_token

    return {"token": registration_token(_dialogue()["workshop_id"], "neu@example.org", "Neu", "Person")}


def _token(kind: CalendarFeedKind):
    def build():
        secret = new_token()
        target = {"series": factories.series()} if kind == CalendarFeedKind.SERIES else {"person": factories.person()}
        db.session.add(CalendarToken(token_hash=hash_token(secret), kind=kind, **target))
        db.session.flush()
        return {"token": secret}

    return build


def _template():
    from planner.workshops.models import WorkshopFormat, WorkshopTemplate

    template = WorkshopTemplate(name="Halbtag", format=WorkshopFormat.VIRTUAL, start_time="09:00",
                                end_time="12:00", blocks=[{"title": "Begrüßung", "kind": "welcome",
                                                           "duration_minutes": 15}])
    db.session.add(template)
    db.session.flush()
    return {"template_id": template.id}


def _series_token_id():
    token = CalendarToken(token_hash=hash_token(new_token()), kind=CalendarFeedKind.SERIES, series=factories.series())
    db.session.add(token)
    db.session.flush()
    return {"token_id": token.id}


RULES = {
    "workshops.list": Rule(SIGNED_IN),
    "workshops.detail": Rule(SIGNED_IN, params=_workshop),
    "workshops.create": Rule(FACILITATOR),
    "workshops.edit": Rule(FACILITATOR, params=_workshop),
    "workshops.duplicate": Rule(FACILITATOR, params=_workshop),
    "workshops.cancel": Rule(FACILITATOR, params=_workshop),
    "workshops.change_status": Rule(FACILITATOR, params=_workshop, method="POST", ok=302, data={"status": "held"}),
    "workshops.ics": Rule(SIGNED_IN, params=_workshop),
    "workshops.series_list": Rule(SIGNED_IN),
    "workshops.series_create": Rule(FACILITATOR),
    "workshops.series_edit": Rule(FACILITATOR, params=lambda: {"series_id": factories.series().id}),
    "workshops.agenda": Rule(SIGNED_IN, params=_workshop),
    "workshops.agenda_print": Rule(SIGNED_IN, params=_workshop),
    "workshops.block_create": Rule(FACILITATOR, params=_workshop),
    "workshops.block_edit": Rule(FACILITATOR, params=_block),
    "workshops.block_delete": Rule(FACILITATOR, params=_block, method="POST", ok=302),
    "workshops.block_move": Rule(FACILITATOR, params=_block, method="POST", ok=302, data={"direction": "down"}),
    "workshops.agenda_fit_end": Rule(FACILITATOR, params=_block, method="POST", ok=302),
    "workshops.agenda_reorder": Rule(FACILITATOR, params=_block, method="POST", ok=302),
    "workshops.templates": Rule(FACILITATOR),
    "workshops.save_as_template": Rule(FACILITATOR, params=_block),
    "workshops.template_rename": Rule(FACILITATOR, params=_template, method="POST", ok=302),
    "workshops.template_delete": Rule(FACILITATOR, params=_template, method="POST", ok=302),
    "workshops.register": Rule(PUBLIC, params=_dialogue),
    "workshops.register_confirm": Rule(PUBLIC, params=_registration_link),
    # Object level: only facilitators and the workshop's own participants; these test users took part nowhere.
    "workshops.networking": Rule(SIGNED_IN, params=_workshop, ok_for=NOT_PARTICIPANTS),
    "workshops.networking_consent": Rule(SIGNED_IN, params=_workshop, ok=403),
    "workshops.calendar_links": Rule(SIGNED_IN),
    "workshops.token_create": Rule(SIGNED_IN, method="POST", ok_for=NOT_PARTICIPANTS,
                                   params=lambda: (factories.series(), {})[1],
                                   data={"kind": "series", "series_id": "1"}),
    "workshops.token_revoke": Rule(SIGNED_IN, params=_series_token_id, method="POST", ok=302,
                                   ok_for=NOT_PARTICIPANTS),
    "workshops.series_feed": Rule(PUBLIC, params=_token(CalendarFeedKind.SERIES)),
    "workshops.person_feed": Rule(PUBLIC, params=_token(CalendarFeedKind.PERSON)),
}
