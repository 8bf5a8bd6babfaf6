"""A team lead defines SLA calendars and policies in the settings pages; nobody else can.

Every change starts a background recomputation whose progress the page shows; refused input is
explained next to the field (or above the form) and nothing is saved.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.sla_ui.conftest import every_minute_policy
from tests.support import open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact, Organization
from zabota.sla.models import Calendar, EscalationRule, Holiday, Policy, RecomputeJob, Target

PAGES = [
    "/settings/sla/calendars/",
    "/settings/sla/policies/",
    "/settings/sla/policies/new/",
]


def login(client: Client, agent: Agent) -> Client:
    client.force_login(agent)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_only_admins_see_the_sla_settings(
    client: Client, url: str, alice_agent: Agent, dave_collaborator: Agent, admin: Agent
) -> None:
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    assert login(client, alice_agent).get(url).status_code == 403
    assert login(client, dave_collaborator).get(url).status_code == 403
    assert login(client, admin).get(url).status_code == 200


def test_agents_cannot_change_calendars_or_policies(
    client: Client, alice_agent: Agent, dave_collaborator: Agent, admin: Agent
) -> None:
    calendar = Calendar.objects.create(name="Office", timezone="UTC", hours={"0": [["09:00", "18:00"]]})
    policy = every_minute_policy(admin)
    for person in (alice_agent, dave_collaborator):
        login(client, person)
        assert (
            client.post("/settings/sla/calendars/", {"new-name": "Sneaky", "new-timezone": "UTC"}).status_code
            == 403
        )
        assert client.post(f"/settings/sla/calendars/{calendar.pk}/delete/").status_code == 403
        assert client.post(f"/settings/sla/policies/{policy.pk}/delete/").status_code == 403
        assert client.post(f"/settings/sla/policies/{policy.pk}/move/up/").status_code == 403
        assert client.get(f"/settings/sla/jobs/{RecomputeJob.objects.first().pk}/").status_code == 403  # type: ignore[union-attr]
    assert Calendar.objects.filter(name="Office").exists()
    assert Policy.objects.filter(pk=policy.pk).exists()
    assert not Calendar.objects.filter(name="Sneaky").exists()


def test_the_settings_index_links_the_sla_pages(client: Client, admin: Agent) -> None:
    html = login(client, admin).get("/settings/").content.decode()
    assert 'href="/settings/sla/calendars/"' in html
    assert 'href="/settings/sla/policies/"' in html


# --- Calendars -----------------------------------------------------------------------------------


def calendar_form(**overrides: str) -> dict[str, str]:
    data = {
        "new-name": "Moscow office",
        "new-timezone": "Europe/Moscow",
        "new-country": "ru",
        "new-subdivision": "",
        **{f"new-day_{d}": "09:00-13:00, 14:00-18:00" for d in range(5)},
        "new-day_5": "",
        "new-day_6": "",
    }
    data.update({f"new-{k}": v for k, v in overrides.items()})
    return data


@pytest.mark.django_db(transaction=True)
def test_a_lead_creates_a_business_hours_calendar_and_sees_the_recompute(
    client: Client, admin: Agent, carol_customer: Contact
) -> None:
    open_ticket(carol_customer, "Open and waiting")
    response = login(client, admin).post("/settings/sla/calendars/", calendar_form())
    assert response.status_code == 302
    calendar = Calendar.objects.get(name="Moscow office")
    assert calendar.timezone == "Europe/Moscow"
    assert calendar.country == "RU"
    assert calendar.hours["0"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert "5" not in calendar.hours and not calendar.always_open
    job = RecomputeJob.objects.get()
    assert response["Location"] == f"/settings/sla/calendars/{calendar.pk}/?job={job.pk}"
    html = client.get(response["Location"]).content.decode()
    assert 'id="recompute-job"' in html
    # The job ran (tasks run immediately in tests): the bar says finished and stops polling.
    progress = client.get(f"/settings/sla/jobs/{job.pk}/").content.decode()
    assert 'id="recompute-finished"' in progress
    assert "hx-trigger" not in progress
    assert "1 of 1 tickets" in progress


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"day_0": "9 to 5"}, "Write the hours like 09:00-18:00"),
        ({"day_0": "18:00-09:00"}, "ends after it starts"),
        ({"day_0": "09:00-13:00, 12:00-18:00"}, "overlap"),
        ({f"day_{d}": "" for d in range(7)}, "open hours, or make it 24/7"),
        ({"country": "XX"}, "No holidays are known"),
        ({"subdivision": "ZZ"}, "is not a subdivision"),
    ],
)
def test_bad_calendars_are_refused_with_a_reason(
    client: Client, admin: Agent, overrides: dict[str, str], message: str
) -> None:
    response = login(client, admin).post("/settings/sla/calendars/", calendar_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Calendar.objects.exists()
    assert not RecomputeJob.objects.exists()


def test_a_24_7_calendar_needs_no_hours_and_names_are_unique(client: Client, admin: Agent) -> None:
    login(client, admin)
    always = calendar_form(name="Round the clock", timezone="UTC", country="", always_open="on")
    always.update({f"new-day_{d}": "" for d in range(7)})
    assert client.post("/settings/sla/calendars/", always).status_code == 302
    assert Calendar.objects.get(name="Round the clock").always_open
    again = client.post("/settings/sla/calendars/", {**always, "new-name": "round the CLOCK"})
    assert "already exists" in again.content.decode()


def test_custom_holidays_are_added_and_removed(client: Client, admin: Agent) -> None:
    calendar = Calendar.objects.create(name="Office", timezone="UTC", hours={"0": [["09:00", "18:00"]]})
    before = calendar.updated_at
    login(client, admin)
    url = f"/settings/sla/calendars/{calendar.pk}/holidays/"
    response = client.post(url, {"holiday-date": "2026-12-31", "holiday-name": "Office party"})
    assert response.status_code == 302
    holiday = Holiday.objects.get(calendar=calendar)
    assert str(holiday.date) == "2026-12-31"
    calendar.refresh_from_db()
    assert calendar.updated_at >= before  # the engine's day cache is keyed by it
    html = client.get(f"/settings/sla/calendars/{calendar.pk}/").content.decode()
    assert "Office party" in html
    assert 'id="country-holidays"' not in html  # no country: no public holidays
    twice = client.post(url, {"holiday-date": "2026-12-31", "holiday-name": "Again"})
    assert twice.status_code == 422 and "already a holiday" in twice.content.decode()
    client.post(f"/settings/sla/calendars/{calendar.pk}/holidays/{holiday.pk}/delete/")
    assert not Holiday.objects.exists()
    assert RecomputeJob.objects.count() == 2  # added, removed


def test_editing_a_calendar_shows_its_hours_and_saves_changes(client: Client, admin: Agent) -> None:
    calendar = Calendar.objects.create(
        name="Office", timezone="Europe/Berlin", hours={"0": [["08:00", "16:30"]], "4": [["08:00", "12:00"]]}
    )
    login(client, admin)
    html = client.get(f"/settings/sla/calendars/{calendar.pk}/").content.decode()
    assert 'value="08:00-16:30"' in html
    data = {
        "name": "Office",
        "timezone": "Europe/Berlin",
        "country": "DE",
        "subdivision": "BY",
        "day_0": "08:00-17:00",
    }
    assert client.post(f"/settings/sla/calendars/{calendar.pk}/", data).status_code == 302
    calendar.refresh_from_db()
    assert calendar.hours == {"0": [["08:00", "17:00"]]}
    assert (calendar.country, calendar.subdivision) == ("DE", "BY")
    html = client.get(f"/settings/sla/calendars/{calendar.pk}/").content.decode()
    assert 'id="country-holidays"' in html  # Bavaria's next public holidays are listed


# --- Policies ------------------------------------------------------------------------------------


def policy_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Platinum",
        "is_active": "on",
        "channels": [],
        "warning_percent": "80",
        "calendar": "",
        "organizations": "",
        "target-TOTAL_FORMS": "3",
        "target-INITIAL_FORMS": "0",
        "target-0-metric": "first_response",
        "target-0-channel": "chat",
        "target-0-amount": "5",
        "target-0-unit": "minutes",
        "target-1-metric": "first_response",
        "target-1-channel": "",
        "target-1-amount": "1",
        "target-1-unit": "hours",
        "target-1-business_hours": "on",
        "target-2-metric": "resolution",
        "target-2-channel": "",
        "target-2-amount": "",
        "target-2-unit": "hours",
        "escalation-TOTAL_FORMS": "2",
        "escalation-INITIAL_FORMS": "0",
        "escalation-0-metric": "",
        "escalation-0-action": "",
        "escalation-1-metric": "",
        "escalation-1-action": "",
    }
    data.update(overrides)
    return data


def test_a_lead_creates_a_policy_with_conditions_targets_and_an_escalation(
    client: Client, admin: Agent, acme: Organization, support_team: Team, alice_agent: Agent
) -> None:
    gold = acme.tier
    assert gold is not None
    calendar = Calendar.objects.create(name="Office", timezone="UTC", hours={"0": [["09:00", "18:00"]]})
    data = policy_form(
        tiers=[str(gold.pk)],
        channels=["chat", "email"],
        priorities=["4", "3"],
        kinds=["problem"],
        organizations="acme",
        calendar=str(calendar.pk),
        pause_on_hold="on",
        **{
            "escalation-0-metric": "first_response",
            "escalation-0-action": "assign_team",
            "escalation-0-team": str(support_team.pk),
            "escalation-1-action": "notify_agent",
            "escalation-1-agent": str(alice_agent.pk),
        },
    )
    response = login(client, admin).post("/settings/sla/policies/new/", data)
    assert response.status_code == 302, response.content.decode()
    policy = Policy.objects.get(name="Platinum")
    job = RecomputeJob.objects.get()
    assert response["Location"] == f"/settings/sla/policies/?job={job.pk}"
    assert list(policy.tiers.all()) == [gold]
    assert (
        policy.channels == ["chat", "email"] and policy.priorities == [3, 4] and policy.kinds == ["problem"]
    )
    assert list(policy.organizations.all()) == [acme]
    assert policy.calendar == calendar and policy.warning_percent == 80 and policy.pause_on_hold
    targets = {
        (t.metric, t.channel): (t.minutes, t.business_hours) for t in Target.objects.filter(policy=policy)
    }
    assert targets == {("first_response", "chat"): (5, False), ("first_response", ""): (60, True)}
    rules = list(
        EscalationRule.objects.filter(policy=policy).values_list("metric", "action", "team_id", "agent_id")
    )
    assert rules == [
        ("first_response", "assign_team", support_team.pk, None),
        ("", "notify_agent", None, alice_agent.pk),
    ]
    html = client.get(response["Location"]).content.decode()
    assert "Platinum" in html and 'id="recompute-job"' in html
    assert "First response: 5 min (chat) · 24/7" in html
    assert "Tiers: Gold" in html and "Kinds: Problem" in html and "Organizations: Acme" in html
    # Editing shows what was saved.
    edit = client.get(f"/settings/sla/policies/{policy.pk}/").content.decode()
    assert 'value="5"' in edit and "acme" in edit.lower()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target-0-amount": "", "target-1-amount": ""}, "at least one target"),
        ({"target-1-channel": "chat"}, "Two targets for First response on the same channel"),
        ({"warning_percent": "100"}, "less than or equal to 99"),
        ({"escalation-0-action": "assign_team"}, "Choose the team"),
        ({"escalation-0-action": "notify_agent"}, "Choose the person"),
        ({"organizations": "Nobody Inc"}, "No organization is called Nobody Inc"),
        ({"name": "  "}, "This field is required"),
    ],
)
def test_bad_policies_are_refused_with_a_reason(
    client: Client, admin: Agent, overrides: dict[str, object], message: str
) -> None:
    response = login(client, admin).post("/settings/sla/policies/new/", policy_form(**overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Policy.objects.exists()
    assert not RecomputeJob.objects.exists()


def test_policies_are_ordered_and_move_up_and_down(client: Client, admin: Agent) -> None:
    first = every_minute_policy(admin, "First")
    second = every_minute_policy(admin, "Second")
    third = every_minute_policy(admin, "Third")
    login(client, admin)

    def order() -> list[str]:
        html = client.get("/settings/sla/policies/").content.decode()
        return re.findall(r'data-policy="\d+">\s*<td>\d+</td>\s*<td><a href="[^"]+">([^<]+)</a>', html)

    assert order() == ["First", "Second", "Third"]
    response = client.post(f"/settings/sla/policies/{third.pk}/move/up/")
    assert response.status_code == 302 and "?job=" in response["Location"]
    assert order() == ["First", "Third", "Second"]
    client.post(f"/settings/sla/policies/{first.pk}/move/down/")
    assert order() == ["Third", "First", "Second"]
    # Already first: nothing moves, no recompute.
    jobs = RecomputeJob.objects.count()
    client.post(f"/settings/sla/policies/{third.pk}/move/up/")
    assert order() == ["Third", "First", "Second"] and RecomputeJob.objects.count() == jobs
    assert client.post(f"/settings/sla/policies/{second.pk}/move/sideways/").status_code == 404
    client.post(f"/settings/sla/policies/{second.pk}/delete/")
    assert order() == ["Third", "First"]


def test_a_policy_save_starts_a_recompute(client: Client, admin: Agent) -> None:
    policy = every_minute_policy(admin)
    RecomputeJob.objects.all().delete()
    data = policy_form(name="Gold care renamed")
    data.update({"target-INITIAL_FORMS": "0"})
    assert login(client, admin).post(f"/settings/sla/policies/{policy.pk}/", data).status_code == 302
    job = RecomputeJob.objects.get()
    assert "Gold care renamed" in job.reason


# --- Team lead -----------------------------------------------------------------------------------


def test_the_teams_page_sets_the_team_lead(
    client: Client, admin: Agent, support_team: Team, alice_agent: Agent
) -> None:
    login(client, admin)
    form = client.get(f"/settings/teams/{support_team.pk}/").content.decode()
    assert 'name="lead"' in form
    data = {"name": "Support", "members": [str(alice_agent.pk)], "lead": str(alice_agent.pk)}
    assert client.post(f"/settings/teams/{support_team.pk}/", data).status_code == 302
    support_team.refresh_from_db()
    assert support_team.lead == alice_agent
    assert "Alice Agent" in client.get("/settings/teams/").content.decode()
    data["lead"] = ""
    client.post(f"/settings/teams/{support_team.pk}/", data)
    support_team.refresh_from_db()
    assert support_team.lead is None


def test_an_agent_cannot_set_a_team_lead(client: Client, alice_agent: Agent, support_team: Team) -> None:
    data = {"name": "Support", "lead": str(alice_agent.pk)}
    assert login(client, alice_agent).post(f"/settings/teams/{support_team.pk}/", data).status_code == 403
    support_team.refresh_from_db()
    assert support_team.lead is None
