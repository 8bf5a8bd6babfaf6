"""Story: carol pastes a screenshot into her mail (an HTML body with a ``cid:`` image). alice sees
the picture in the timeline; carol sees it in the portal through the portal's own preview."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import Client

from tests.email.support import make_mailbox
from tests.web.test_portal_fixtures import sign_in_client
from zabota.channels.email.ingest import ingest
from zabota.customers.models import Contact
from zabota.tickets.models import Ticket

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def screenshot_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Carol <carol@acme.test>"
    msg["To"] = "support@zabota.test"
    msg["Subject"] = "See the error"
    msg["Message-ID"] = "<shot@acme.test>"
    msg.set_content("See the error below.")
    msg.add_alternative(
        '<p>See the error below.</p><p><img src="cid:shot1@acme.test" alt="shot"></p>', subtype="html"
    )
    html_part = msg.get_payload()[1]
    html_part.add_related(
        PNG, maintype="image", subtype="png", cid="<shot1@acme.test>", filename="image001.png"
    )
    return msg.as_bytes()


@pytest.mark.django_db(transaction=True)
def test_a_pasted_screenshot_shows_inline_for_the_agent_and_in_the_portal(admin) -> None:  # type: ignore[no-untyped-def]
    make_mailbox()
    out = ingest(screenshot_mail(), source="t")
    assert out.outcome == "created"
    ticket = Ticket.objects.get(number=out.ticket)
    message = ticket.messages.get()
    att = message.attachments.get()
    assert att.inline and att.content_type == "image/png"
    assert f'src="/attachments/{att.pk}/preview"' in message.body_html
    assert "cid:" not in message.body_html

    agent = Client()
    agent.force_login(admin)
    page = agent.get(f"/tickets/{ticket.number}/")
    assert f"/attachments/{att.pk}/preview" in page.content.decode()
    assert agent.get(f"/attachments/{att.pk}/preview").status_code == 200

    carol = Contact.objects.get(emails__email="carol@acme.test")
    portal = sign_in_client(Client(), carol, ticket.inbox)
    html = portal.get(f"/portal/requests/{ticket.number}/").content.decode()
    assert f'src="/portal/attachments/{att.pk}/preview"' in html
    assert portal.get(f"/portal/attachments/{att.pk}/preview").status_code == 200
