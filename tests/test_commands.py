"""The `zabota` console commands an operator types: createagent and token."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.support import Api
from zabota import cli
from zabota.accounts.models import Agent, ApiToken
from zabota.accounts.queries import authenticate_token

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createagent_creates_an_agent_who_can_log_in():
    output = run(
        "createagent",
        "--email",
        "Olga@Zabota.test",
        "--role",
        "admin",
        "--password",
        "correct horse 1",
        "--name",
        "Olga",
    )

    olga = Agent.objects.get(email="olga@zabota.test")
    assert "Created admin olga@zabota.test" in output
    assert (olga.role, olga.name, olga.is_active) == ("admin", "Olga", True)
    assert olga.check_password("correct horse 1")


def test_createagent_again_updates_the_same_agent_with_the_new_password():
    run("createagent", "--email", "olga@zabota.test", "--role", "agent", "--password", "first password 1")

    output = run(
        "createagent", "--email", "OLGA@zabota.test", "--role", "admin", "--password", "second password 2"
    )

    assert "Updated admin olga@zabota.test" in output
    [olga] = Agent.objects.all()
    assert olga.role == "admin"
    assert olga.check_password("second password 2")
    assert not olga.check_password("first password 1")


def test_createagent_without_a_password_leaves_it_unusable():
    run("createagent", "--email", "bot@zabota.test", "--role", "agent", "--no-input")

    assert not Agent.objects.get(email="bot@zabota.test").has_usable_password()


def test_createagent_refuses_a_weak_password():
    with pytest.raises(CommandError, match="too short"):
        run("createagent", "--email", "olga@zabota.test", "--role", "agent", "--password", "abc")

    assert not Agent.objects.exists()


def test_createagent_collaborator_may_be_allowed_public_replies():
    run(
        "createagent",
        "--email",
        "dev@zabota.test",
        "--role",
        "collaborator",
        "--no-input",
        "--can-reply-publicly",
    )

    assert Agent.objects.get(email="dev@zabota.test").may_reply_publicly


def test_token_create_prints_the_token_alone_on_the_last_line_and_it_works(admin, support_ticket):
    output = run("token", "create", "--agent", "ADMIN@zabota.test")

    raw = output.strip().splitlines()[-1]
    assert raw.startswith("zb_") and " " not in raw
    assert authenticate_token(raw).agent == admin
    assert Api(raw).get(f"/tickets/{support_ticket.pk}").status_code == 200
    assert raw not in "".join(
        ApiToken.objects.values_list("token_hash", flat=True)
    )  # only its hash is stored


def test_a_read_token_from_the_command_line_cannot_write(admin, support_ticket):
    raw = run("token", "create", "--agent", "admin@zabota.test", "--scope", "read").strip().splitlines()[-1]

    response = Api(raw).post(f"/tickets/{support_ticket.pk}/notes", {"body": "hi"})

    assert response.status_code == 403


def test_token_list_shows_prefixes_never_tokens(admin):
    raw = run("token", "create", "--agent", "admin@zabota.test").strip().splitlines()[-1]

    listing = run("token", "list", "--agent", "admin@zabota.test")

    assert raw[:10] in listing
    assert raw not in listing
    assert "active" in listing


def test_token_revoke_stops_the_token_working(admin):
    raw = run("token", "create", "--agent", "admin@zabota.test").strip().splitlines()[-1]

    output = run("token", "revoke", raw[:10])

    assert "Revoked" in output
    assert authenticate_token(raw) is None
    assert Api(raw).get("/agents/me").status_code == 401
    assert "revoked" in run("token", "list", "--agent", "admin@zabota.test")


def test_token_revoke_of_an_unknown_prefix_fails_loudly(admin):
    with pytest.raises(CommandError, match="no single active token"):
        run("token", "revoke", "zb_nothing")


def test_token_create_for_an_unknown_agent_fails_loudly(db):
    with pytest.raises(CommandError, match="no agent with email"):
        run("token", "create", "--agent", "ghost@zabota.test")


@pytest.mark.django_db(transaction=True)
def test_the_zabota_console_command_runs_management_commands(monkeypatch, capsys):
    # `zabota createagent ...` then `zabota token create ...`, as an operator would type them.
    monkeypatch.setattr(
        sys, "argv", ["zabota", "createagent", "--email", "ops@zabota.test", "--role", "admin", "--no-input"]
    )
    cli.main()
    monkeypatch.setattr(sys, "argv", ["zabota", "token", "create", "--agent", "ops@zabota.test"])
    cli.main()

    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert authenticate_token(raw).agent.email == "ops@zabota.test"
