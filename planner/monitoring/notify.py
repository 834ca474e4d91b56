"""What monitoring tells people by e-mail, and the funder's reporting dates as tasks.

- Reminders (a periodic job and ``flask --app planner monitoring-reminders``): a status update is due (the tracking
  score's rule, ``services.quality``) or a task is late; the action's lead gets one mail listing what is due (with no
  lead: the strategy team). At most one reminder per action, kind and period (a calendar month), recorded in
  ``monitoring_reminders``, so running the job twice sends nothing twice.
- Following a measure (opt-in): anyone may ask to be told when a measure's status changes; the address is confirmed
  by a mailed link (double opt-in) unless it is the signed-in account's own. Every mail carries a link that ends it
  without an account; ending it (or an erasure, planner.privacy) deletes the row.
- The official answer to the proposer: written once on the monitored action, shown on the public dashboard, mailed
  to the proposer (an address and consent provided) on first publication or an explicit "send again".
- The funder's reporting dates (a list and/or a yearly date within the funding period) become tasks of kind
  funder_report: added once, open ones moved or removed when the dates change, done ones never touched.

Mails are queued in the caller's transaction (planner.core.mail) and leave after its commit.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.core import audit, identity
from planner.core.errors import DomainError, NotAllowed
from planner.core.formats import format_date  # British dates in English, as on the pages
from planner.core.locking import bump_version
from planner.core.mail import send_mail
from planner.core.models import normalise_email, utcnow
from planner.core.permissions import Role
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.findings.models import Measure, MeasureStatus
from planner.monitoring import public, services, tracking
from planner.monitoring.models import (
    ActionStatus,
    ActionTask,
    MeasureSubscription,
    MonitoredAction,
    ReminderKind,
    SentReminder,
    TaskKind,
)

log = logging.getLogger(__name__)

LOCALES = ("de", "en")
CONFIRM_HOURS = 72
_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")
CLOSED = (ActionStatus.COMPLETED, ActionStatus.DISCARDED)


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _locale(value: str | None) -> str:
    return value if value in LOCALES else "de"


def _signature() -> str:
    return _("Kind regards\nThe Smart City team of %(city)s", city=identity.city_name())


# --- the funder's reporting dates become tasks -------------------------------------------------------------------

_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?$")


def parse_report_dates(text: str | None) -> list[date]:
    """One date per line (or separated by commas or semicolons), as 31.03.2027 or 2027-03-31."""
    days = []
    for part in re.split(r"[\n,;]+", text or ""):
        part = part.strip()
        if not part:
            continue
        try:
            match = _DAY.match(part)
            day = date(int(match[3]), int(match[2]), int(match[1])) if match else date.fromisoformat(part)
        except ValueError:
            raise DomainError(_l("“%(value)s” is not a date: write one date per line, e.g. 31.03.2027.",
                                 value=part[:40]), field="funder_report_dates") from None
        days.append(day)
    return sorted(set(days))


def parse_yearly(text: str | None) -> str:
    """A day and month (31.03.) as "MM-DD", or "" for none."""
    text = (text or "").strip()
    if not text:
        return ""
    match = _DAY_MONTH.match(text)
    stored = re.match(r"^(\d{2})-(\d{2})$", text)  # as stored: "MM-DD"
    try:
        if match:
            day, month = int(match[1]), int(match[2])
        elif stored:
            month, day = int(stored[1]), int(stored[2])
        else:
            raise ValueError
        date(2024, month, day)  # a leap year: 29.02. is a day
    except ValueError:
        raise DomainError(_l("Enter the yearly reporting date as day and month, e.g. 31.03."),
                          field="funder_report_yearly") from None
    return f"{month:02d}-{day:02d}"


def report_fields(action: MonitoredAction) -> dict[str, str]:
    """The reporting dates as the edit form shows them (31.03.2027 one per line; 31.03.)."""
    days = [f"{d.day:02d}.{d.month:02d}.{d.year}" for d in parse_report_dates(action.funder_report_dates)]
    yearly = ""
    if action.funder_report_yearly:
        month, day = action.funder_report_yearly.split("-")
        yearly = f"{day}.{month}."
    return {"funder_report_dates": "\n".join(days), "funder_report_yearly": yearly}


def report_days(action: MonitoredAction) -> list[date]:
    """Every reporting date of the action's funding: the listed ones and the yearly date in the funding period."""
    days = set(parse_report_dates(action.funder_report_dates))
    if action.funder_report_yearly and action.funding_from and action.funding_until:
        month, day = (int(p) for p in action.funder_report_yearly.split("-"))
        for year in range(action.funding_from.year, action.funding_until.year + 1):
            try:
                candidate = date(year, month, day)
            except ValueError:  # 29 February in a common year: the last day of February
                candidate = date(year, 2, 28)
            if action.funding_from <= candidate <= action.funding_until:
                days.add(candidate)
    return sorted(days)


def _report_title(action: MonitoredAction) -> str:
    with force_locale("de"):  # stored texts are in the city's working language
        if action.funding_programme:
            return _("Report to the funder: %(programme)s", programme=action.funding_programme)[:300]
        return _("Report to the funder")


def sync_funder_reports(action: MonitoredAction) -> tuple[int, int]:
    """Makes the funder_report tasks match the reporting dates: adds the missing ones, removes open ones whose date
    is gone, keeps every done one. Returns (added, removed)."""
    wanted = {f"funder:{day.isoformat()}": day for day in report_days(action)}
    title = _report_title(action)
    existing = {t.generated_key: t for t in action.tasks if t.generated_key}
    added = removed = 0
    for key, task in existing.items():
        if key in wanted:
            if task.done_on is None and task.title != title:
                task.title = title
        elif task.done_on is None:
            action.tasks.remove(task)  # delete-orphan: the open task goes (audited)
            removed += 1
    for key, day in wanted.items():
        if key not in existing:
            action.tasks.append(ActionTask(title=title, kind=TaskKind.FUNDER_REPORT, due_on=day, generated_key=key))
            added += 1
    db.session.flush()
    return added, removed


# --- reminders to the leads ------------------------------------------------------------------------------------

@dataclass
class Due:
    action: MonitoredAction
    kind: ReminderKind
    last_update: date | None = None
    tasks: list[ActionTask] = field(default_factory=list)


@dataclass
class ReminderRun:
    today: date
    period: str
    due: list[Due]
    mails: int = 0
    recipients: list[str] = field(default_factory=list)


def period_of(day: date) -> str:
    """The period within which an action gets at most one reminder of each kind: the calendar month."""
    return day.strftime("%Y-%m")


def due_items(today: date | None = None) -> list[Due]:
    """What is due today: a status update (the tracking score's rule) on every open action, late tasks on any."""
    today = today or local_today()
    actions = db.session.scalars(select(MonitoredAction).options(
        selectinload(MonitoredAction.measure), selectinload(MonitoredAction.tasks),
        selectinload(MonitoredAction.lead)).order_by(MonitoredAction.id)).all()
    items = []
    for action in actions:
        if action.status not in CLOSED and not services.current_quality(action, today).recent_update:
            items.append(Due(action, ReminderKind.UPDATE_DUE, last_update=action.last_update_on))
        late = [t for t in action.tasks if t.is_late(today)]
        if late:
            items.append(Due(action, ReminderKind.TASK_LATE, tasks=late))
    return items


def _team():
    from planner.accounts.models import User

    return db.session.scalars(select(User).where(User.role == Role.STRATEGY_TEAM, User.is_active_account.is_(True))
                              .order_by(User.id)).all()


def _recipients(action: MonitoredAction) -> list:
    lead = action.lead
    if lead is not None and lead.is_active_account:
        return [lead]
    return list(_team())


def action_url(action: MonitoredAction) -> str:
    return f"{base_url()}/monitoring/actions/{action.id}"


def _reminder_text(user, items: list[Due], today: date) -> tuple[str, str]:
    with force_locale(_locale(user.locale)):
        subject = ngettext("Monitoring: %(num)s measure needs your attention",
                           "Monitoring: %(num)s measures need your attention", len({d.action.id for d in items}))
        lines = [_("Hello %(name)s,", name=user.name),
                 _("the following measures of the smart city strategy are due for a report:"), ""]
        for action_id in dict.fromkeys(d.action.id for d in items):
            mine = [d for d in items if d.action.id == action_id]
            action = mine[0].action
            lines.append(f"* {action.measure.label}")
            for d in mine:
                if d.kind == ReminderKind.UPDATE_DUE:
                    lines.append("  - " + (_("A status update is due: the last one is from %(date)s.",
                                             date=format_date(d.last_update, "medium")) if d.last_update
                                           else _("A status update is due: there has been none yet.")))
                else:
                    for task in d.tasks:
                        lines.append("  - " + _("Late: %(task)s (due %(date)s)", task=task.shown_title,
                                                date=format_date(task.due_on, "medium")))
            lines.append("  " + _("Report here: %(link)s", link=action_url(action)))
            lines.append("")
        lines += [_("All your measures: %(link)s", link=f"{base_url()}/monitoring/"), "",
                  _("You receive this reminder because you are the contact person for these measures (or, where "
                    "nobody is, a member of the strategy team). At most one reminder per measure and month."), "",
                  _signature()]
    return subject, "\n".join(lines)


def send_reminders(today: date | None = None, *, dry_run: bool = False) -> ReminderRun:
    """Sends the reminders due today that have not been sent in this period; records each (action, kind, period)
    sent. The caller commits (the mails leave after the commit). ``dry_run`` records and sends nothing."""
    today = today or local_today()
    period = period_of(today)
    sent = set(db.session.execute(select(SentReminder.action_id, SentReminder.kind)
                                  .where(SentReminder.period == period)).all())
    fresh = [d for d in due_items(today) if (d.action.id, d.kind) not in sent]
    run = ReminderRun(today, period, fresh)
    by_recipient: dict[int, tuple] = {}
    per_item: dict[tuple, int] = defaultdict(int)
    for d in fresh:
        for user in _recipients(d.action):
            by_recipient.setdefault(user.id, (user, []))[1].append(d)
            per_item[(d.action.id, d.kind)] += 1
    for user, items in by_recipient.values():
        run.recipients.append(user.email)
        if not dry_run:
            subject, text = _reminder_text(user, items, today)
            send_mail(user.email, subject, text)
            run.mails += 1
    if not dry_run:
        for d in fresh:
            db.session.add(SentReminder(action_id=d.action.id, kind=d.kind, period=period,
                                        recipient_count=per_item[(d.action.id, d.kind)]))
            audit.record("remind", d.action, changes={"kind": d.kind.value, "period": period,
                                                      "recipients": per_item[(d.action.id, d.kind)]},
                         summary=d.kind.value)
        db.session.flush()
    return run


def run_reminders_job() -> None:
    """The daily job (registered in planner.monitoring.tasks): sends the due reminders and commits."""
    from planner.core.audit import acting_as

    with acting_as(None, "monitoring-reminders"):
        try:
            tracking.refresh(db.session)  # the tracking score's facts, also after bulk writes outside the services
            public.index_missing_trails()  # versions monitored before their trails were indexed
            run = send_reminders()
            purge_unconfirmed()  # requests to follow a measure never confirmed within their link's time
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("monitoring reminders failed")
            raise
    log.info("monitoring reminders: %s mails for %s due items (%s)", run.mails, len(run.due), run.period)


# --- following a measure ----------------------------------------------------------------------------------------

class FollowLinkInvalid(DomainError):
    def __init__(self):
        super().__init__(_l("This link is not valid (any more). You can ask for the notification again on the "
                            "public dashboard."))


CONSENT_TEXT = ("Ich möchte per E-Mail benachrichtigt werden, wenn sich der Umsetzungsstand dieser Maßnahme "
                "ändert. Meine E-Mail-Adresse wird nur dafür gespeichert; ich kann die Benachrichtigung mit dem Link "
                "in jeder E-Mail jederzeit beenden.")


def _serializer(timed: bool = False):
    secret = current_app.config["SECRET_KEY"]
    if timed:
        return URLSafeTimedSerializer(secret, salt="monitoring.follow.confirm")
    return URLSafeSerializer(secret, salt="monitoring.follow.stop")


def _fingerprint(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def confirm_token(subscription: MeasureSubscription) -> str:
    return _serializer(timed=True).dumps([subscription.id, _fingerprint(subscription.email)])


def stop_token(subscription: MeasureSubscription) -> str:
    return _serializer().dumps([subscription.id, _fingerprint(subscription.email)])


def confirm_url(subscription) -> str:
    return f"{base_url()}/monitoring/follow/confirm/{confirm_token(subscription)}"


def stop_url(subscription) -> str:
    return f"{base_url()}/monitoring/follow/stop/{stop_token(subscription)}"


def public_url(measure_id: int) -> str:
    """The measure's public page while it is monitored, else the dashboard."""
    monitored = db.session.scalar(select(MonitoredAction.id).where(MonitoredAction.measure_id == measure_id))
    return f"{base_url()}/monitoring/public" + (f"/measures/{measure_id}" if monitored else "")


def followable(measure: Measure) -> bool:
    return measure.status not in (MeasureStatus.MERGED, MeasureStatus.REJECTED)


def follow_measure(measure: Measure, *, email: str, consent: bool, locale: str = "de", user=None
                   ) -> MeasureSubscription | None:
    """Asks for the notification. The signed-in account's own address is active at once; any other gets a mail
    with a confirmation link (double opt-in). Returns the subscription; the same answer whether the address
    followed before or not (nobody learns who follows what)."""
    email = normalise_email(email)
    problems = []
    if not email or len(email) > 254 or not _EMAIL.match(email):
        problems.append(("email", _l("Please enter a valid e-mail address.")))
    if not consent:
        problems.append(("consent", _l("Please agree that we store your address for these notifications.")))
    if not followable(measure):
        problems.append((None, _l("This measure is no longer pursued; there is nothing to follow.")))
    if problems:
        error = DomainError(problems[0][1], field=problems[0][0])
        error.problems = problems
        raise error
    purge_unconfirmed()
    own = user is not None and getattr(user, "is_authenticated", False) and normalise_email(user.email) == email
    subscription = db.session.scalar(select(MeasureSubscription).where(
        MeasureSubscription.measure_id == measure.id, MeasureSubscription.email == email))
    if subscription is None:
        subscription = MeasureSubscription(measure_id=measure.id, email=email, locale=_locale(locale),
                                           consent_text=CONSENT_TEXT,
                                           person_id=getattr(user, "person_id", None) if own else None)
        db.session.add(subscription)
        db.session.flush()
        audit.record("follow", measure, changes={"subscription_id": subscription.id})
    elif subscription.is_active:
        return subscription
    subscription.locale = _locale(locale)
    subscription.created_at = utcnow()  # the consent asked for now
    if own:
        subscription.confirmed_at = utcnow()
        audit.record("follow_confirmed", measure, changes={"subscription_id": subscription.id})
    else:
        _send_confirmation(subscription, measure)
    db.session.flush()
    return subscription


def _send_confirmation(subscription: MeasureSubscription, measure: Measure) -> None:
    with force_locale(subscription.locale):
        subject = _("Please confirm: news about “%(measure)s”", measure=measure.label)
        body = [
            _("Hello,"),
            _("someone (hopefully you) asked with this address to be told by e-mail when the implementation status "
              "of the measure “%(measure)s” changes.", measure=measure.label),
            _("To confirm, open this link within %(hours)s hours:", hours=CONFIRM_HOURS),
            confirm_url(subscription),
            _("If it was not you, ignore this e-mail: nothing is sent to you, and the address is deleted."),
            _signature(),
        ]
    send_mail(subscription.email, subject, "\n\n".join(body))


def _load(token: str, *, timed: bool) -> MeasureSubscription:
    try:
        if timed:
            subscription_id, fingerprint = _serializer(timed=True).loads(token or "", max_age=CONFIRM_HOURS * 3600)
        else:
            subscription_id, fingerprint = _serializer().loads(token or "")
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        raise FollowLinkInvalid() from None
    subscription = db.session.get(MeasureSubscription, subscription_id) if isinstance(subscription_id, int) else None
    if subscription is None or _fingerprint(subscription.email) != fingerprint:
        raise FollowLinkInvalid()
    return subscription


def read_confirm_link(token: str) -> MeasureSubscription:
    return _load(token, timed=True)


def confirm_follow(token: str) -> MeasureSubscription:
    subscription = read_confirm_link(token)
    if not subscription.is_active:
        subscription.confirmed_at = utcnow()
        audit.record("follow_confirmed", subscription.measure, changes={"subscription_id": subscription.id})
        db.session.flush()
    return subscription


def read_stop_link(token: str) -> MeasureSubscription:
    return _load(token, timed=False)


def stop_following(token: str) -> Measure:
    """Ends the notification (no account needed): the row, and with it the address, is deleted."""
    subscription = read_stop_link(token)
    measure = subscription.measure
    audit.record("unfollow", measure, changes={"subscription_id": subscription.id})
    db.session.delete(subscription)
    db.session.flush()
    return measure


def purge_unconfirmed() -> int:
    """Requests never confirmed are deleted once their link has expired."""
    from datetime import timedelta

    from sqlalchemy import delete

    cutoff = utcnow() - timedelta(hours=CONFIRM_HOURS)
    return db.session.execute(delete(MeasureSubscription).where(
        MeasureSubscription.confirmed_at.is_(None), MeasureSubscription.created_at < cutoff)).rowcount or 0


def followers(measure_id: int) -> list[MeasureSubscription]:
    return list(db.session.scalars(select(MeasureSubscription).where(
        MeasureSubscription.measure_id == measure_id, MeasureSubscription.confirmed_at.is_not(None))
        .order_by(MeasureSubscription.id)))


def notify_status_change(action: MonitoredAction, old: ActionStatus, update) -> int:
    """Tells every confirmed follower of the measure that its status changed (called by services.post_update).
    Returns the number of mails queued."""
    count = 0
    for subscription in followers(action.measure_id):
        with force_locale(subscription.locale):
            subject = _("New status: %(measure)s", measure=action.measure.label)
            body = [
                _("Hello,"),
                _("the implementation status of the measure “%(measure)s” has changed from “%(old)s” to “%(new)s” "
                  "(as of %(date)s, progress %(progress)s %%).", measure=action.measure.label, old=old.label,
                  new=update.status.label, date=format_date(update.reported_on, "long"), progress=update.progress),
                update.text,
                _("More on the public dashboard: %(link)s", link=public_url(action.measure_id)),
                _("You receive this e-mail because you asked for it. To stop these e-mails, open: %(link)s",
                  link=stop_url(subscription)),
                _signature(),
            ]
        send_mail(subscription.email, subject, "\n\n".join(body))
        count += 1
    if count:
        audit.record("notify_followers", action, changes={"status": update.status.value, "mails": count})
    return count


# --- the official answer to the proposer --------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerOutcome:
    first: bool
    mailed: bool
    reason: str = ""  # why nothing was mailed (translated)


def proposer_contact(measure: Measure) -> tuple[str | None, str, str]:
    """(address, locale, reason): the proposer's address if it may be used, else None and why not."""
    from planner.accounts.models import User
    from planner.privacy.registry import ERASED_DOMAIN

    person = measure.proposed_by
    if person is None:
        return None, "de", _("nobody is recorded as its proposer")
    if not person.email or person.email.endswith(f"@{ERASED_DOMAIN}"):
        return None, "de", _("no e-mail address of the proposer is known")
    if not person.has_consent or person.consent_withdrawn_at is not None:
        return None, "de", _("the proposer has not consented to be contacted")
    account = db.session.scalar(select(User).where(User.person_id == person.id, User.is_active_account.is_(True))
                                .order_by(User.id).limit(1))
    return person.email, _locale(account.locale if account else None), ""


def publish_answer(action: MonitoredAction, user, *, text: str, send_again: bool = False) -> AnswerOutcome:
    """Writes the city's official answer. The first publication (and an explicit ``send_again``) mails it to the
    proposer; later edits are saved and recorded (audit) without a mail."""
    if not services.is_staff(user):
        raise NotAllowed(_l("Only the strategy team writes the official answer."))
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("Write the answer to the proposer."), field="answer_text")
    if len(text) > services.TEXT_MAX:
        raise DomainError(_l("The text is too long (at most %(max)s characters).", max=services.TEXT_MAX),
                          field="answer_text")
    first = action.answer_published_at is None
    if not first and text == action.answer_text and not send_again:
        raise DomainError(_l("The answer has not changed."), field="answer_text")
    action.answer_text = text
    if first:
        action.answer_published_at = utcnow()
    mailed, reason = False, ""
    if first or send_again:
        address, locale, reason = proposer_contact(action.measure)
        if address:
            _send_answer(action, address, locale)
            action.answer_mailed_at = utcnow()
            mailed = True
            audit.record("answer_mailed", action, changes={"person_id": action.measure.proposed_by_id,
                                                           "again": not first})
    bump_version(action)
    db.session.flush()
    return AnswerOutcome(first, mailed, reason)


def _send_answer(action: MonitoredAction, address: str, locale: str) -> None:
    with force_locale(locale):
        subject = _("The city's answer to your proposal “%(measure)s”", measure=action.measure.label)
        body = [
            _("Hello,"),
            _("you proposed the measure “%(measure)s” in the smart city strategy process of %(city)s. This is the "
              "city's official answer:", measure=action.measure.label, city=identity.city_name()),
            action.answer_text,
            _("How the measure is progressing: %(link)s", link=public_url(action.measure_id)),
            _("To be told when its status changes, ask for it there: %(link)s",
              link=f"{base_url()}/monitoring/public/measures/{action.measure_id}/follow"),
            _signature(),
        ]
    send_mail(address, subject, "\n\n".join(body))


# --- the periodic job ---------------------------------------------------------------------------------------------

def _register_job() -> None:
    from planner.jobs.queue import periodic

    periodic("monitoring.reminders_daily", minute="15", hour="6")(run_reminders_job)  # every morning, 06:15 UTC


_register_job()
