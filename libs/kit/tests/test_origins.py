"""Which pages may open a WebSocket (``helpdesk_kit.origins``)."""

from __future__ import annotations

from helpdesk_kit.origins import OriginPolicy


def test_only_the_public_urls_origin_and_the_configured_ones_may_open_a_socket() -> None:
    policy = OriginPolicy.of("https://desk.example/", "https://intra.example:8443, https://b.example")
    for page in ("https://desk.example", "https://DESK.example:443", "https://intra.example:8443"):
        assert policy.refusal(page, bearer=False) is None, page
    for page in ("http://desk.example", "https://desk.example:8443", "https://evil.example", "null", ""):
        assert policy.refusal(page, bearer=False) is not None, page


def test_without_an_origin_only_a_bearer_header_is_accepted() -> None:
    policy = OriginPolicy.of("https://desk.example")
    assert policy.refusal(None, bearer=True) is None
    assert policy.refusal(None, bearer=False) == "Send the token in the Authorization header."


def test_a_loopback_public_url_admits_the_other_loopback_names_on_its_port_only() -> None:
    policy = OriginPolicy.of("http://127.0.0.1:8080")
    for page in ("http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080"):
        assert policy.refusal(page, bearer=False) is None, page
    for page in ("http://localhost:8081", "https://localhost:8080", "http://10.0.0.1:8080"):
        assert policy.refusal(page, bearer=False) is not None, page
