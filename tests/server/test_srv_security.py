"""Safety of the running server: API key, Host header, Origin/CORS, body size, the page's CSP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from srv_helpers import ALLOWED_ORIGIN, API_KEY, MAX_BODY_BYTES, RunningServer

pytestmark = pytest.mark.models  # the server's home holds a collection built with the real model

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def _error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, object] = body["error"]
    assert {"message", "type", "param", "code"} <= set(error)
    return error


def test_the_key_guards_the_api_but_not_the_page_or_health(server: RunningServer) -> None:
    assert httpx.get(f"{server.url}/health").status_code == 200
    assert httpx.get(f"{server.url}/").status_code == 200
    assert httpx.get(f"{server.url}/static/app.js").status_code == 200
    missing = httpx.get(f"{server.api}/collections")
    assert missing.status_code == 401 and _error(missing)["code"] == "invalid_api_key"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = httpx.get(f"{server.api}/collections", headers={"Authorization": "Bearer nope-nope"})
    assert wrong.status_code == 401 and "Incorrect" in str(_error(wrong)["message"])
    basic = httpx.get(f"{server.api}/collections", headers={"Authorization": f"Basic {API_KEY}"})
    assert basic.status_code == 401
    assert httpx.get(f"{server.api}/collections", headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:4891", "127.0.0.1.nip.io", "192.168.1.10"]
)
def test_foreign_host_headers_are_refused(server: RunningServer, host: str) -> None:
    """DNS rebinding: a page whose name now points at 127.0.0.1 still sends its own Host."""
    for path in ("/", "/health", "/v1/models"):
        response = httpx.get(f"{server.url}{path}", headers={"Host": host, **AUTH})
        assert response.status_code == 400, path
        assert _error(response)["code"] == "invalid_host"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "LOCALHOST", "[::1]"])
def test_loopback_host_headers_are_accepted(server: RunningServer, host: str) -> None:
    response = httpx.get(f"{server.url}/health", headers={"Host": f"{host}:{server.port}"})
    assert response.status_code == 200


def test_cors_only_for_the_allowed_origin_never_a_wildcard(server: RunningServer) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    allowed = httpx.options(
        f"{server.api}/chat/completions", headers={"Origin": ALLOWED_ORIGIN, **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    simple = httpx.get(f"{server.api}/models", headers={"Origin": ALLOWED_ORIGIN, **AUTH})
    assert simple.status_code == 200
    assert simple.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    for origin in ("http://evil.example", "null", "http://allowed.example:9999"):
        denied = httpx.options(
            f"{server.api}/chat/completions", headers={"Origin": origin, **preflight}
        )
        assert denied.status_code in (400, 403)
        assert "access-control-allow-origin" not in denied.headers
        post = httpx.post(
            f"{server.api}/chat/completions",
            headers={"Origin": origin, **AUTH},
            json={"model": "default", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert post.status_code == 403 and _error(post)["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in post.headers
    for response in (allowed, simple):
        assert response.headers.get("access-control-allow-origin") != "*"


def test_the_page_itself_is_same_origin(server: RunningServer) -> None:
    origin = f"http://127.0.0.1:{server.port}"
    response = httpx.get(f"{server.api}/collections", headers={"Origin": origin, **AUTH})
    assert response.status_code == 200


def test_bodies_over_the_limit_are_413(server: RunningServer) -> None:
    big = b'{"model": "default", "input": "' + b"a" * MAX_BODY_BYTES + b'"}'
    declared = httpx.post(
        f"{server.api}/embeddings",
        content=big,
        headers={"Content-Type": "application/json", **AUTH},
    )
    assert declared.status_code == 413 and _error(declared)["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    streamed = httpx.post(
        f"{server.api}/embeddings",
        content=chunks(),
        headers={"Content-Type": "application/json", **AUTH},
    )
    assert streamed.status_code == 413
    # Just under the limit goes through to validation (and fails there, not on size).
    small = httpx.post(
        f"{server.api}/chat/completions",
        content=b'{"model": "default"}',
        headers={"Content-Type": "application/json", **AUTH},
    )
    assert small.status_code == 400 and _error(small)["param"] == "messages"


def test_not_found_and_wrong_method_use_the_error_shape(server: RunningServer) -> None:
    missing = httpx.get(f"{server.api}/nothing-here", headers=AUTH)
    assert missing.status_code == 404 and _error(missing)["code"] == "not_found"
    method = httpx.get(f"{server.api}/chat/completions", headers=AUTH)
    assert method.status_code == 405
    broken = httpx.post(
        f"{server.api}/chat/completions",
        content=b"{not json",
        headers={"Content-Type": "application/json", **AUTH},
    )
    assert broken.status_code == 400


def test_the_page_loads_nothing_from_elsewhere(server: RunningServer) -> None:
    page = httpx.get(f"{server.url}/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    for name in ("", "static/app.js", "static/style.css"):
        text = httpx.get(f"{server.url}/{name}").text
        assert "http://" not in text and "https://" not in text, name
    assert httpx.get(f"{server.url}/docs").status_code == 404  # Swagger UI would load a CDN


def test_two_host_headers_are_refused_even_with_a_valid_one_first(server: RunningServer) -> None:
    import socket

    request = (
        "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n"
        f"Authorization: Bearer {API_KEY}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert b'"code":"invalid_host"' in body and b"Host headers" in body


def test_a_refused_cors_preflight_uses_the_error_shape(server: RunningServer) -> None:
    for origin in (f"http://127.0.0.1:{server.port}", "http://other.example"):
        response = httpx.options(
            f"{server.api}/chat/completions",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        if origin.startswith("http://other"):
            assert response.status_code == 403  # refused before CORS: not this server's page
        else:
            assert response.status_code == 400
            assert _error(response)["code"] == "cors_preflight_refused"


def test_an_upload_over_the_limit_gets_a_readable_413_not_a_reset(server: RunningServer) -> None:
    big = "word " * (3_000_000 // 5)  # 3 MB, far over the 64 KiB limit
    client = server.client()  # no retries: a reset would show as APIConnectionError
    with pytest.raises(openai.APIStatusError) as raised:
        client.embeddings.create(model="all-MiniLM-L6-v2", input=big)
    assert raised.value.status_code == 413
    assert "over the server's limit" in str(raised.value)


@pytest.mark.parametrize(
    "field", ["max_tokens", "max_completion_tokens", "temperature", "top_p", "seed"]
)
def test_booleans_are_not_numbers(server: RunningServer, field: str) -> None:
    body = {"model": "default", "messages": [{"role": "user", "content": "Hi"}], field: True}
    response = httpx.post(f"{server.api}/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 400 and _error(response)["param"] == field
