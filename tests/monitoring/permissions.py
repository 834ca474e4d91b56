from tests.permission_rules import PUBLIC, SIGNED_IN, Rule

ST = ("strategy_team",)
# Signed in, but an action is only for the strategy team and the measure's lead (none of the test users).
NOT_LEAD = {"expert": 403, "facilitator": 403, "reviewer": 403}


def _version():
    from tests.monitoring.test_monitoring import _adopted_version

    version, _strategist, _made = _adopted_version()
    return version


def _action():
    from sqlalchemy import select

    from planner.extensions import db
    from planner.monitoring import services
    from planner.monitoring.models import MonitoredAction

    version, strategist, _made = (lambda v: (v, v.frozen_by, None))(_version())
    services.start_monitoring(version, strategist)
    return db.session.scalar(select(MonitoredAction).order_by(MonitoredAction.id))


def _action_id():
    return {"action_id": _action().id}


def _task_id():
    return {"task_id": _action().tasks[0].id}


def _report_id():
    from planner.monitoring import services

    _action()
    return {"report_id": services.freeze_report("2027", None).id}


def _measure_id():
    return {"measure_id": _action().measure_id}


def _follow_token(kind):
    def make():
        from sqlalchemy import select

        from planner.extensions import db
        from planner.monitoring import notify
        from planner.monitoring.models import MeasureSubscription

        measure_id = _action().measure_id
        # A module's tests may share one database (tests/security): one subscription, made once.
        subscription = db.session.scalar(select(MeasureSubscription).where(
            MeasureSubscription.measure_id == measure_id, MeasureSubscription.email == "folgt@example.org"))
        if subscription is None:
            subscription = MeasureSubscription(measure_id=measure_id, email="folgt@example.org")
            db.session.add(subscription)
            db.session.flush()
        return {"token": notify.confirm_token(subscription) if kind == "confirm" else notify.stop_token(subscription)}

    return make


RULES = {
    "monitoring.public_dashboard": Rule(PUBLIC),
    "monitoring.public_field": Rule(PUBLIC, params=lambda: {"code": _action().measure.field.code}),
    "monitoring.public_measure": Rule(PUBLIC, params=_measure_id),
    "monitoring.open_data": Rule(PUBLIC, params=lambda: {"dataset": "measures", "fmt": "csv"}),
    "monitoring.open_data_catalogue": Rule(PUBLIC),
    "monitoring.overview": Rule(SIGNED_IN),
    "monitoring.start": Rule(ST, params=lambda: {"number": _version().number}, method="POST", ok=302),
    "monitoring.action": Rule(SIGNED_IN, params=_action_id, ok_for=NOT_LEAD),
    "monitoring.post_update": Rule(SIGNED_IN, params=_action_id, method="POST", ok=400, ok_for=NOT_LEAD),
    "monitoring.add_task": Rule(SIGNED_IN, params=_action_id, method="POST", ok=400, ok_for=NOT_LEAD),
    "monitoring.task_done": Rule(SIGNED_IN, params=_task_id, method="POST", ok=302, ok_for=NOT_LEAD),
    "monitoring.add_kpi_value": Rule(SIGNED_IN, params=_action_id, method="POST", ok=400, ok_for=NOT_LEAD),
    "monitoring.edit_action": Rule(ST, params=_action_id),
    "monitoring.reports": Rule(ST),
    "monitoring.report_download": Rule(ST, params=_report_id, query="?format=md"),
    "monitoring.answer": Rule(ST, params=_action_id),
    "monitoring.follow": Rule(PUBLIC, params=_measure_id),
    "monitoring.follow_confirm": Rule(PUBLIC, params=_follow_token("confirm")),
    "monitoring.unfollow": Rule(PUBLIC, params=_follow_token("stop")),
}
