"""Every portal route is either public on purpose (sign-in, a link, branding) or for a signed-in
contact only. A route added later without ``contact_required`` fails here."""

# ruff: noqa: F401, F811  (fixtures imported from test_portal_fixtures, used as arguments)

from __future__ import annotations

import re

from django.test import Client

from tests.web.test_portal_fixtures import acme_inbox, portal_client
from zabota.portal import urls as portal_urls
from zabota.portal.urls import RESERVED_SLUGS

PUBLIC = {"home", "brand", "link", "brand_css", "brand_logo", "logout"}
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def concrete(route: str, values: dict[str, str]) -> str:
    return "/portal/" + PARAM.sub(lambda m: values[m.group(2)], route)


def test_every_private_portal_page_sends_visitors_to_sign_in(db, acme_inbox, support_ticket):
    values = {"number": str(support_ticket.number), "attachment_id": "1", "slug": "acme", "token": "x" * 43}
    names = set()
    for pattern in portal_urls.urlpatterns:
        names.add(pattern.name)
        if pattern.name in PUBLIC:
            continue
        url = concrete(str(pattern.pattern), values)
        for method in ("get", "post"):
            response = getattr(Client(), method)(url)
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"] == "/portal/", url
    assert PUBLIC <= names  # the public list names real routes


def test_an_agent_session_opens_no_private_portal_page(alice_agent, acme_inbox, support_ticket):
    client = Client()
    client.force_login(alice_agent)
    values = {"number": str(support_ticket.number), "attachment_id": "1", "slug": "acme", "token": "x" * 43}
    for pattern in portal_urls.urlpatterns:
        if pattern.name in PUBLIC:
            continue
        response = client.get(concrete(str(pattern.pattern), values))
        assert response.status_code in (302, 405), pattern.name


def test_reserved_slugs_are_the_fixed_paths():
    fixed = {str(p.pattern).split("/")[0] for p in portal_urls.urlpatterns if "<slug" not in str(p.pattern)}
    assert fixed - {""} == RESERVED_SLUGS


def test_out_of_range_numbers_are_404_not_errors(portal_client, carol_customer):
    client = portal_client(carol_customer)
    huge = "9" * 30
    for path in (
        f"/portal/requests/{huge}/",
        f"/portal/attachments/{huge}/",
        f"/portal/attachments/{huge}/preview",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/portal/requests/{huge}/", {"body": "x"}).status_code == 404


def test_odd_inputs_get_a_form_error_not_an_error_page(portal_client, carol_customer, support_ticket):
    assert Client().post("/portal/", {"email": "a\x00@example.test"}).status_code == 400
    assert Client().post("/portal/", {"email": "x" * 300 + "@example.test"}).status_code == 400
    client = portal_client(carol_customer)
    assert client.post("/portal/requests/new/", {"subject": "s" * 201, "body": "b"}).status_code == 400
    assert client.post("/portal/requests/new/", {"subject": "a\x00b", "body": "b\x00"}).status_code in (
        302,
        400,
    )
    assert client.get("/portal/requests/?page=abc&show=%00").status_code == 200
    assert client.get("/portal/requests/?page=99999").status_code == 200


def test_the_admin_shows_sign_in_links_read_only_without_their_hashes(admin, carol_customer):
    from zabota.portal import actions

    link, _ = actions.issue_sign_in_link(email="carol@acme.test", inbox=None)
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/portal/portallink/")
    assert listing.status_code == 200 and "carol@acme.test" in listing.content.decode()
    detail = client.get(f"/admin/portal/portallink/{link.pk}/change/")
    assert detail.status_code == 200
    assert link.token_hash not in detail.content.decode()
    assert client.post(f"/admin/portal/portallink/{link.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/portal/signinrequest/").status_code == 200
