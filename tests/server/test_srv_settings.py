"""Server settings and the `serve` command's refusals: fast, no model, no network."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from gpt4all_rag.cli import app
from gpt4all_rag.server.security import _host_name
from gpt4all_rag.server.settings import ServerSettings, is_loopback


def test_defaults_are_loopback_without_key_or_origins() -> None:
    settings = ServerSettings()
    assert settings.host == "127.0.0.1" and settings.port == 4891
    assert settings.api_key is None and settings.allowed_origins == []
    assert settings.host_allowlist() == frozenset({"localhost", "127.0.0.1", "::1"})


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "my-pc.lan"])
def test_non_loopback_needs_a_key(host: str) -> None:
    with pytest.raises(ValidationError, match="without an API key"):
        ServerSettings(host=host)
    settings = ServerSettings(host=host, api_key="long-enough-key")  # type: ignore[arg-type]
    assert settings.key() == "long-enough-key"
    assert "long-enough-key" not in repr(settings)


def test_the_bind_address_is_an_accepted_host() -> None:
    settings = ServerSettings(host="192.168.1.5", api_key="long-enough-key")  # type: ignore[arg-type]
    assert "192.168.1.5" in (settings.host_allowlist() or ())
    any_address = ServerSettings(host="0.0.0.0", api_key="long-enough-key")  # type: ignore[arg-type]
    assert "0.0.0.0" not in (any_address.host_allowlist() or ())


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "localhost", "::1", "[::1]"])
def test_loopback_names(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "origin", ["*", "http://*.example.com", "example.com", "ftp://x.org", "http://x.org/path"]
)
def test_wildcard_or_malformed_origins_are_refused(origin: str) -> None:
    with pytest.raises(ValidationError):
        ServerSettings(allowed_origins=[origin])


def test_origins_are_normalized() -> None:
    settings = ServerSettings(allowed_origins=["HTTP://LocalHost:3000/"])
    assert settings.allowed_origins == ["http://localhost:3000"]


def test_any_host_only_with_a_key() -> None:
    with pytest.raises(ValidationError, match="API key"):
        ServerSettings(allowed_hosts=["*"])
    keyed = ServerSettings(allowed_hosts=["*"], api_key="long-enough-key")  # type: ignore[arg-type]
    assert keyed.host_allowlist() is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port", 0),
        ("port", 70000),
        ("max_body_bytes", 10),
        ("max_tokens_limit", 0),
        ("api_key", "short"),
        ("unknown", 1),
    ],
)
def test_bounds(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        ServerSettings(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:4891", "localhost"),
        ("LOCALHOST", "localhost"),
        ("[::1]:4891", "::1"),
        ("127.0.0.1", "127.0.0.1"),
        ("evil.example:80", "evil.example"),
    ],
)
def test_host_header_parsing(header: str, name: str) -> None:
    assert _host_name(header) == name


def test_serve_refuses_a_public_address_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GPT4ALL_RAG_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "without an API key" in result.output and "--api-key" in result.output


def test_serve_refuses_a_wildcard_origin() -> None:
    result = CliRunner().invoke(app, ["serve", "--allowed-origin", "*"])
    assert result.exit_code == 2
    assert "Wildcard origin" in result.output
