"""Naive refresh (benchmarks/scale.py's comparison, not the product): every object read with its
own GET, as a generic per-resource provider (Terraform's REST provider) would."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from estate import ORO_API, ORO_SECRET, username

from reconciler.model import LiveIntegration, LiveWorld
from reconciler.providers.http import Caller


def naive_refresh(
    world: LiveWorld, server_url: str, passwords: dict[str, str], workers: int
) -> int:
    """Read every object of ``world`` with its own GET; returns the number of requests sent.

    Each integration's objects are read by one worker in turn (one account, one client), like
    the product's refresh, ``workers`` integrations at a time. Requests go through the product's
    retry and rate-limit policy (``Caller``, one ``RateLimiter`` per account): a generic provider
    has to live with the same limits.
    """
    token = httpx.post(
        f"{server_url}/oauth2-token",
        json={
            "grant_type": "client_credentials",
            "client_id": "bench",
            "client_secret": ORO_SECRET,
        },
    ).json()["access_token"]
    oro_headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.api+json"}
    sent = 0
    lock = threading.Lock()

    def get(caller: Caller, path: str) -> httpx.Response:
        nonlocal sent
        response = caller.request("GET", path, idempotent=True)
        with lock:
            sent += 1
        return response

    with httpx.Client(base_url=server_url, headers=oro_headers) as oro_http:
        oro = Caller(oro_http, service="oro")
        for user in world.users:
            get(oro, f"{ORO_API}/users/{user.id}")
        for organization in world.organizations:
            get(oro, f"{ORO_API}/organizations/{organization.id}")

        def read(live: LiveIntegration) -> None:
            user = username(int(live.name.rsplit("-", 1)[1]))
            with httpx.Client(
                base_url=server_url,
                auth=(user, passwords[user]),
                headers={"Accept": "application/json"},
            ) as dm_http:
                dm = Caller(dm_http, service="dotmailer")
                info = get(dm, "/v2/account-info").json()
                endpoint = next(
                    p["value"] for p in info["properties"] if p["name"] == "ApiEndpoint"
                )
                base = endpoint.removeprefix(server_url).rstrip("/")
                for _ in live.oro_fields:  # v2 has no GET of one data field: the list, each time
                    get(dm, f"{base}/v2/data-fields")
                for book in live.oro_books:
                    get(dm, f"{base}/v2/address-books/{book.origin_id}")
            if live.oro is not None:
                get(oro, f"{ORO_API}/integrationchannels/{live.oro.id}")
                get(oro, f"{ORO_API}/dotmailertransports/{live.oro.transport_id}")
            for data_field in live.oro_fields:
                get(oro, f"{ORO_API}/dotmailerdatafields/{data_field.id}")
            for book in live.oro_books:
                get(oro, f"{ORO_API}/dotmaileraddressbooks/{book.id}")
                if book.marketing_list_id:
                    get(oro, f"{ORO_API}/marketinglists/{book.marketing_list_id}")
            for mapping in live.oro_mappings:
                get(oro, f"{ORO_API}/dotmailerdatafieldmappings/{mapping.id}")

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(read, world.integrations))
    return sent
