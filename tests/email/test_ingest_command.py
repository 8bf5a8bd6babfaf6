"""Story: an admin imports the support history with `zabota ingest`: a directory of .eml files,
an mbox export and a Maildir. Every message is reported (created, threaded, quarantined...), the
summary counts them, and running the same import again changes nothing: every message is a
duplicate. Messages an earlier, killed run stored but never processed are processed first."""

from __future__ import annotations

import io
import json
import mailbox
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.email.support import mail, make_mailbox
from zabota.channels.email import ingest
from zabota.channels.email.models import InboundEmail
from zabota.tickets.models import Inbox, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

REPORT_KEYS = {
    "source",
    "outcome",
    "ticket",
    "message_id",
    "from",
    "subject",
    "text",
    "attachments",
    "reason",
}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("ingest", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_eml_files_and_the_report_then_a_rerun_is_all_duplicates(tmp_path: Path) -> None:
    make_mailbox()
    folder = tmp_path / "history"
    (folder / "later").mkdir(parents=True)  # read in path order: a.eml, c.eml, later/b.eml
    (folder / "a.eml").write_bytes(
        mail(
            subject="=?utf-8?b?0J/RgNC40L3RgtC10YAg0LPQvtGA0LjRgg==?=",
            message_id="<a@acme.test>",
            body="Принтер горит.",
            attachments=[("photo.png", b"\x89PNG fake", "image/png")],
        )
    )
    (folder / "later" / "b.eml").write_bytes(
        mail(
            subject="Re: printer",
            body="Still burning.\n\nOn Thu, 3 Dec 2026 at 10:00, Carol <carol@acme.test> wrote:\n> Принтер горит.\n",
            in_reply_to="<a@acme.test>",
        )
    )
    (folder / "notes.txt").write_text("not mail")  # only .eml files count in a plain directory
    (folder / "c.eml").write_bytes(b"\x00\x01 this is not a message at all")
    report = tmp_path / "report.json"

    out = run(str(folder), "--report", str(report))
    assert "3 messages: 1 created, 1 threaded, 0 duplicates, 1 quarantined" in out
    rows = json.loads(report.read_text())
    assert [set(r) for r in rows] == [REPORT_KEYS] * 3
    by_source = {Path(r["source"]).name: r for r in rows}
    created, threaded, broken = by_source["a.eml"], by_source["b.eml"], by_source["c.eml"]
    ticket = Ticket.objects.get()
    assert created == {
        "source": str(folder / "a.eml"),
        "outcome": "created",
        "ticket": ticket.number,
        "message_id": "a@acme.test",
        "from": "carol@acme.test",
        "subject": "Принтер горит",
        "text": "Принтер горит.",
        "attachments": ["photo.png"],
        "reason": "",
    }
    assert threaded["outcome"] == "threaded" and threaded["ticket"] == ticket.number
    assert threaded["text"] == "Still burning."  # the quoted history is not the new text
    assert broken["outcome"] == "quarantined" and broken["ticket"] is None and broken["reason"]

    again = run(str(folder), "--report", str(report))
    assert "3 messages: 0 created, 0 threaded, 3 duplicates" in again
    rows = json.loads(report.read_text())
    assert {r["outcome"] for r in rows} == {"duplicate"}
    assert {Path(r["source"]).name: r["ticket"] for r in rows} == {
        "a.eml": ticket.number,
        "b.eml": ticket.number,
        "c.eml": None,
    }
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 3


def test_an_mbox_export_into_a_chosen_inbox(tmp_path: Path) -> None:
    make_mailbox()
    archive = Inbox.objects.create(name="Archive", slug="archive")
    path = tmp_path / "export.mbox"
    box = mailbox.mbox(path)
    for n in range(3):
        box.add(mail(subject=f"Question {n}", message_id=f"<q{n}@acme.test>"))
    box.add(mail(subject="Re: Question 0", in_reply_to="<q0@acme.test>", body="Thanks!"))
    box.close()
    report = tmp_path / "r.json"

    out = run(str(path), "--inbox", "archive", "--report", str(report))
    assert "4 messages: 3 created, 1 threaded" in out
    rows = json.loads(report.read_text())
    assert [r["source"] for r in rows] == ["mbox:1", "mbox:2", "mbox:3", "mbox:4"]
    assert [r["subject"] for r in rows] == ["Question 0", "Question 1", "Question 2", "Re: Question 0"]
    assert rows[3]["ticket"] == rows[0]["ticket"]
    assert set(Ticket.objects.values_list("inbox", flat=True)) == {archive.pk}
    assert InboundEmail.objects.filter(source=f"mbox:{path}:4").exists()
    assert "4 duplicates" in run(str(path), "--inbox", "archive")
    assert Ticket.objects.count() == 3

    with pytest.raises(CommandError, match="nope"):
        run(str(path), "--inbox", "nope")
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "missing"))


def test_a_maildir_and_what_a_killed_run_left_behind(tmp_path: Path) -> None:
    make_mailbox()
    # A killed run stored this message but died before processing it.
    left = ingest.receive(mail(subject="Left behind", message_id="<left@acme.test>"), source="lmtp")
    assert left.inbound.status == "received"
    md = mailbox.Maildir(tmp_path / "Maildir")
    md.add(mail(subject="New one", message_id="<new@acme.test>"))
    seen = mailbox.MaildirMessage(mail(subject="Seen one", message_id="<seen@acme.test>"))
    seen.set_subdir("cur")
    seen.add_flag("S")
    md.add(seen)
    md.add(mail(subject="Left behind", message_id="<left@acme.test>"))  # also in the Maildir

    out = run(str(tmp_path / "Maildir"))
    assert "3 messages: 2 created, 0 threaded, 1 duplicates" in out
    assert "1 left unprocessed by an earlier run" in out
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Left behind", "New one", "Seen one"]
    assert not InboundEmail.objects.filter(status="received").exists()
