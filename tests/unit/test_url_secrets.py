"""Secrets in file URLs' query strings: which parameters go, which stay, byte for byte."""

from __future__ import annotations

import json

import pytest
from packaging.utils import canonicalize_name

from omniwheel.index.models import parse_html_page, parse_json_page
from omniwheel.index.url_secrets import GivenUrls, redact, scrub_url, secret_values

NAME = canonicalize_name("demo")

BASE = "https://files.example.com/x/demo-1.0-py3-none-any.whl"
SECRET = "s3cr3t/tok+en=="


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # nothing to drop: the very same string
        (BASE, BASE),
        (f"{BASE}#sha256=abc", f"{BASE}#sha256=abc"),
        (f"{BASE}?download=1&v=2", f"{BASE}?download=1&v=2"),
        (f"{BASE}?", f"{BASE}?"),
        (f"{BASE}?a&&b=", f"{BASE}?a&&b="),
        # conventional names, any case, "-" read as "_"
        (f"{BASE}?token=abc", BASE),
        (f"{BASE}?TOKEN=abc#sha256=ff", f"{BASE}#sha256=ff"),
        (f"{BASE}?download=1&access_token=abc&v=2", f"{BASE}?download=1&v=2"),
        (f"{BASE}?api-key=abc", BASE),
        (f"{BASE}?apikey=abc&key=def", BASE),
        (f"{BASE}?private_token=abc", BASE),
        (f"{BASE}?auth=abc", BASE),
        (f"{BASE}?%74oken=abc", BASE),  # "token", percent-encoded
        (f"{BASE}?token", BASE),  # no value: still a credential's name
        # signed URLs: the signature and every parameter that goes with it
        (
            f"{BASE}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20240101"
            "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
            "&X-Amz-Security-Token=abc&X-Amz-Signature=0123abcd",
            BASE,
        ),
        (f"{BASE}?X-Goog-Signature=ab&X-Goog-Date=1&download=1", f"{BASE}?download=1"),
        (f"{BASE}?Expires=1700000000&Signature=ab~c&Key-Pair-Id=K2", BASE),
        (f"{BASE}?GoogleAccessId=a%40b&Expires=1&Signature=c", BASE),
        (f"{BASE}?sv=2022-11-02&se=2024-01-01&sr=b&sp=r&sig=abc%3D", BASE),
        # names that only contain a credential's name are content: kept
        (f"{BASE}?monkey=1&tokens=2&keys&sigma=3", f"{BASE}?monkey=1&tokens=2&keys&sigma=3"),
        (f"{BASE}?a=token&b=key", f"{BASE}?a=token&b=key"),
        (f"{BASE}?x-amz-anything=1&v=1", f"{BASE}?v=1"),
        (f"{BASE}?v=1&Key", f"{BASE}?v=1"),
        (f"{BASE}?v=1+2&token=a", f"{BASE}?v=1+2"),
        # companions without a signature are content: kept
        (f"{BASE}?expires=never&sp=1", f"{BASE}?expires=never&sp=1"),
    ],
)
def test_scrub_url(url: str, expected: str) -> None:
    assert scrub_url(url) == expected


@pytest.mark.parametrize(
    "query",
    [
        f"dl={SECRET}",  # as written
        "dl=s3cr3t%2Ftok%2Ben%3D%3D",  # percent-encoded
        "dl=s3cr3t/tok%2Ben==",  # partly encoded
    ],
)
def test_a_known_secret_goes_under_any_name(query: str) -> None:
    assert scrub_url(f"{BASE}?v=1&{query}#sha256=ab", {SECRET}) == f"{BASE}?v=1#sha256=ab"


def test_a_value_that_is_no_known_secret_stays() -> None:
    url = f"{BASE}?dl=other"
    assert scrub_url(url, {SECRET, ""}) is url


def test_empty_secrets_are_ignored() -> None:
    url = f"{BASE}?dl="
    assert scrub_url(url, {""}) is url


def test_secret_values_are_what_a_message_must_not_show() -> None:
    url = f"{BASE}?v=1&token=a%2Bb&dl={SECRET}"
    # as written, and decoded ("+" in a query is a space)
    assert secret_values(url, {SECRET}) == {"a%2Bb", "a+b", SECRET, "s3cr3t/tok en=="}
    assert secret_values(BASE) == frozenset()
    assert secret_values(f"{BASE}?v=1") == frozenset()


def test_redact_hides_plain_and_encoded_forms() -> None:
    text = f"GET {BASE}?dl=s3cr3t%2Ftok%2Ben%3D%3D failed; {SECRET}!"
    assert redact(text, {SECRET, ""}) == f"GET {BASE}?dl=*** failed; ***!"


def test_given_urls_keep_the_given_form_in_memory() -> None:
    given = GivenUrls(lambda url: {SECRET})
    url = f"{BASE}?token=abc&v=1"
    public = given.public(url)
    assert public == f"{BASE}?v=1"
    assert given.given(public) == url
    assert given.knows(public)
    assert given.shown(url) == public
    assert given.public(BASE) == BASE
    assert not given.knows(BASE)
    assert given.given(BASE) == BASE
    assert given.public(f"{BASE}?dl={SECRET}") == BASE


# -- pages: what the parsers keep ------------------------------------------------------------

SHA = "ab" * 32
WHEEL = "demo-1.0-py3-none-any.whl"
PAGE = "https://pkgs.example.com/simple/demo/"


def test_an_html_page_keeps_the_hash_fragment_and_drops_the_token() -> None:
    given = GivenUrls()
    body = f'<a href="../../files/{WHEEL}?token=abc&v=1#sha256={SHA}">{WHEEL}</a>'.encode()
    page = parse_html_page(NAME, body, PAGE, public_url=given.public)
    [dist] = page.files
    assert dist.url == f"https://pkgs.example.com/files/{WHEEL}?v=1"
    assert dist.sha256 == SHA
    assert dist.filename == WHEEL
    assert given.given(dist.url) == f"https://pkgs.example.com/files/{WHEEL}?token=abc&v=1"


def test_a_json_page_with_a_token_keeps_no_raw_body() -> None:
    given = GivenUrls()
    page = parse_json_page(NAME, _json(f"/files/{WHEEL}?token=abc"), PAGE, public_url=given.public)
    assert page.raw_json is None
    assert b"abc" not in page.json_body()
    assert page.files[0].url == f"https://pkgs.example.com/files/{WHEEL}"


def test_a_json_page_without_secrets_keeps_its_body_byte_for_byte() -> None:
    body = _json(f"/files/{WHEEL}?v=1")
    page = parse_json_page(NAME, body, PAGE, public_url=GivenUrls().public)
    assert page.raw_json is body
    assert page.files[0].url == f"https://pkgs.example.com/files/{WHEEL}?v=1"


def _json(url: str) -> bytes:
    entry = {"filename": WHEEL, "url": url, "hashes": {"sha256": SHA}}
    return json.dumps({"meta": {"api-version": "1.1"}, "files": [entry]}).encode()
