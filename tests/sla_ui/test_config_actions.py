"""The SLA configuration actions themselves (the settings pages and any future caller go through
them): admins only, input checked with the field named, and every change recomputes."""

from __future__ import annotations

from datetime import date

import pytest

from tests.sla_ui.conftest import every_minute_policy, no_conditions
from zabota.accounts.models import Agent
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.sla import config
from zabota.sla.config import EscalationSpec, TargetSpec
from zabota.sla.models import Calendar, Metric, Policy, RecomputeJob


def test_only_admins_may_change_sla_settings(
    alice_agent: Agent, dave_collaborator: Agent, admin: Agent
) -> None:
    calendar, _job = config.save_calendar(
        actor=admin, name="Office", timezone="UTC", always_open=True, hours={}
    )
    policy = every_minute_policy(admin)
    for person in (alice_agent, dave_collaborator):
        with pytest.raises(PermissionDenied):
            config.save_calendar(actor=person, name="Mine", timezone="UTC", always_open=True, hours={})
        with pytest.raises(PermissionDenied):
            config.delete_calendar(actor=person, calendar=calendar)
        with pytest.raises(PermissionDenied):
            config.add_holiday(actor=person, calendar=calendar, day=date(2026, 1, 1))
        with pytest.raises(PermissionDenied):
            config.save_policy(
                actor=person,
                name="Mine",
                conditions=no_conditions(),
                calendar=None,
                targets=[TargetSpec(Metric.RESOLUTION, "", 60)],
            )
        with pytest.raises(PermissionDenied):
            config.move_policy(actor=person, policy=policy, up=True)
        with pytest.raises(PermissionDenied):
            config.delete_policy(actor=person, policy=policy)
    assert Calendar.objects.count() == 1 and Policy.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"hours": {"7": [["09:00", "18:00"]]}}, "hours"),
        ({"hours": {"0": [["09:00", "25:00"]]}}, "hours"),
        ({"hours": {"0": "09:00-18:00"}}, "hours"),
        ({"country": "RU", "subdivision": "XX"}, "subdivision"),
        ({"name": ""}, "name"),
    ],
)
def test_calendar_input_is_checked(admin: Agent, kwargs: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "name": "Office",
        "timezone": "UTC",
        "always_open": False,
        "hours": {"0": [["09:00", "18:00"]]},
    }
    values.update(kwargs)
    with pytest.raises(ValidationFailed) as refused:
        config.save_calendar(actor=admin, **values)  # type: ignore[arg-type]
    assert field in refused.value.fields


def test_policy_input_is_checked(admin: Agent) -> None:
    def save(**kwargs: object) -> None:
        values: dict[str, object] = {
            "name": "P",
            "conditions": no_conditions(),
            "calendar": None,
            "targets": [TargetSpec(Metric.FIRST_RESPONSE, "", 30)],
        }
        values.update(kwargs)
        config.save_policy(actor=admin, **values)  # type: ignore[arg-type]

    for kwargs, field in [
        ({"conditions": no_conditions(channels=["pigeon"])}, "channels"),
        ({"conditions": no_conditions(priorities=[9])}, "priorities"),
        ({"conditions": no_conditions(kinds=["rant"])}, "kinds"),
        ({"targets": [TargetSpec("speed", "", 30)]}, "targets"),
        ({"targets": [TargetSpec(Metric.FIRST_RESPONSE, "", 0)]}, "targets"),
        ({"targets": [TargetSpec(Metric.FIRST_RESPONSE, "pigeon", 5)]}, "targets"),
        ({"warning_percent": 0}, "warning_percent"),
        ({"escalations": [EscalationSpec("", "explode")]}, "escalations"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            save(**kwargs)
        assert field in refused.value.fields, kwargs
    assert not Policy.objects.exists()


def test_deleting_a_calendar_leaves_its_policies_on_24_7_and_recomputes(admin: Agent) -> None:
    calendar, _ = config.save_calendar(
        actor=admin, name="Office", timezone="UTC", always_open=False, hours={"0": [["09:00", "18:00"]]}
    )
    policy, _ = config.save_policy(
        actor=admin,
        name="Office hours",
        conditions=no_conditions(),
        calendar=calendar,
        targets=[TargetSpec(Metric.FIRST_RESPONSE, "", 60)],
    )
    before = RecomputeJob.objects.count()
    job = config.delete_calendar(actor=admin, calendar=calendar)
    policy.refresh_from_db()
    assert policy.calendar is None
    assert RecomputeJob.objects.count() == before + 1 and "Office" in job.reason


def test_new_policies_go_last(admin: Agent) -> None:
    first = every_minute_policy(admin, "First")
    second = every_minute_policy(admin, "Second")
    assert first.position < second.position
    assert config.move_policy(actor=admin, policy=second, up=False) is None  # already last


def test_a_new_policy_with_conditions_goes_before_the_catch_all(admin: Agent) -> None:
    """Added after "Standard" (which matches every ticket) it could never apply."""
    from zabota.customers.actions import create_tier

    gold = create_tier(actor=None, name="Gold", rank=2, color="#d4af37")
    standard = every_minute_policy(admin, "Standard")
    chat = every_minute_policy(admin, "Everything else")  # a second catch-all: stays last
    vip = every_minute_policy(admin, "Gold care", first=10, tiers=[gold])
    order = list(Policy.objects.order_by("position", "id").values_list("name", flat=True))
    assert order == ["Gold care", "Standard", "Everything else"]
    assert standard.pk and chat.pk and vip.pk
