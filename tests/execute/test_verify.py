"""Writes are verified (issue 11 item 5): a create whose answer names another object, or an
id another object already has, fails its op and records nothing."""

from __future__ import annotations

import json

import httpx
from conftest import Lab, book, desired, field, integration

NEWS = "integration.emea.address_book.News"


def test_a_create_answered_with_another_books_id_records_nothing(lab: Lab) -> None:
    lab.converge(desired(integration(address_books=(book("Old"),))))
    old_id = lab.store.read().objects["integration.emea.address_book.Old"].remote_ids["dotmailer"]

    def reuse_the_old_id(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
        if request.method != "POST" or request.url.path != "/v2/address-books":
            return None
        body = json.loads(response.content)
        body["id"] = int(old_id)  # a server that answers every create with one id
        return httpx.Response(201, json=body)

    lab.wire.after_app = reuse_the_old_id
    result = lab.converge(desired(integration(address_books=(book("Old"), book("News")))))

    (failed,) = [r for r in result.results if r.address == NEWS]
    assert (failed.status, failed.detail) == (
        "failed",
        f"dotmailer answered with id {old_id}, which integration.emea.address_book.Old already "
        "has: it made no new object (or reused an id), so nothing is recorded",
    )
    assert NEWS not in lab.store.read().objects


def test_an_oro_create_answered_with_another_field_records_nothing(lab: Lab) -> None:
    lab.converge(desired())

    def another_field(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
        if request.method != "POST" or not request.url.path.endswith("/dotmailerdatafields"):
            return None
        body = json.loads(response.content)
        body["data"]["attributes"]["name"] = "string"  # a spec-generated mock's answer
        return httpx.Response(201, json=body, headers={"Content-Type": "application/vnd.api+json"})

    lab.wire.after_app = another_field
    result = lab.converge(desired(integration(data_fields=(field("LOYALTY"),))))

    (failed,) = [r for r in result.results if r.address == "integration.emea.data_field.LOYALTY"]
    assert (failed.status, failed.detail) == (
        "failed",
        "Oro answered the create with data field string of 1, not the LOYALTY of integration 1 "
        "it was asked to make",
    )
    assert "integration.emea.data_field.LOYALTY" not in lab.store.read().objects
