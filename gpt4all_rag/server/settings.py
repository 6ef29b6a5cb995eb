"""Server settings: where it listens, who may call it, and how much one request may ask for."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
"""Host names that always reach this machine only."""

_ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})

BASE_MODEL_TEMPERATURE = 0.0
"""Measured with bench/base_model_temperature.py on the bundled Gemma 3 270M base model: see
docs/benchmarks.md (sampling made its everyday answers wrong or empty more often)."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) only accepts connections from this machine."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class InsecureBindError(ValueError):
    """A non-loopback address without an API key."""


class ServerSettings(BaseModel):
    """How the OpenAI-compatible server listens and what it accepts.

    The defaults are safe for a personal machine: loopback only, no cross-origin callers, small
    request bodies. Listening on any other address needs an API key.
    """

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    """Address to listen on; anything but loopback requires ``api_key``."""
    port: int = Field(default=4891, ge=1, le=65535)
    """TCP port."""
    api_key: SecretStr | None = Field(default=None, max_length=512)
    """Bearer token every ``/v1`` request must carry; None means no key (loopback only)."""
    allowed_origins: list[str] = Field(default_factory=list, max_length=64)
    """Web origins (``scheme://host[:port]``) allowed to call the API from a browser (CORS).
    The server's own page is always allowed; ``*`` is refused."""
    allowed_hosts: list[str] = Field(default_factory=list, max_length=64)
    """Extra names accepted in the Host header, besides loopback names and ``host``; guards
    against DNS rebinding. ``*`` (any) is accepted only together with an API key."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    """Largest request body; larger requests get 413."""
    max_tokens_limit: int = Field(default=2048, ge=1, le=131_072)
    """Largest ``max_tokens`` a request may ask for."""
    default_max_tokens: int = Field(default=512, ge=1, le=131_072)
    """Reply budget of a chat or completion request that gives no ``max_tokens`` (capped by
    ``max_tokens_limit``); LocalDocs answers then use the answer chain's own budget."""
    base_model_temperature: float = Field(default=BASE_MODEL_TEMPERATURE, ge=0, le=2)
    """Temperature of a plain chat request that gives none, for a model without a chat
    template (a base model, prompted completion-style); models with a template keep their own
    default."""
    max_waiting: int = Field(default=64, ge=1, le=4096)
    """Requests that may wait for one model; more get 503."""
    queue_timeout: float = Field(default=600.0, gt=0, le=3600)
    """Seconds a request may wait for its model before it gets 503."""
    watch: bool = False
    """Watch the folders of every collection whose folders are known, not only those marked
    watched: changes are indexed as they happen."""

    @field_validator("host")
    @classmethod
    def _strip_host(cls, host: str) -> str:
        return host.strip().strip("[]")

    @field_validator("api_key")
    @classmethod
    def _key_has_text(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None:
            return None
        value = key.get_secret_value()
        if len(value.strip()) < 8 or value != value.strip():
            raise ValueError(
                "the API key needs at least 8 characters that are not spaces, and no space at "
                "either end; make one with: python -c 'import secrets; "
                "print(secrets.token_urlsafe(24))'"
            )
        return key

    @field_validator("allowed_origins")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        return [_normalize_origin(origin) for origin in origins]

    @field_validator("allowed_hosts")
    @classmethod
    def _check_hosts(cls, hosts: list[str]) -> list[str]:
        cleaned = [host.strip().strip("[]").lower() for host in hosts]
        for host in cleaned:
            if not host or "/" in host or " " in host:
                raise ValueError(f"{host!r} is not a host name: give names like 'my-pc.lan'")
        return cleaned

    @model_validator(mode="after")
    def _refuse_open_without_key(self) -> ServerSettings:
        if self.api_key is None and not is_loopback(self.host):
            raise InsecureBindError(
                f"Refusing to listen on {self.host} without an API key: anyone on the network "
                "could use your models and read your collections. Pass --api-key KEY (or set "
                "GPT4ALL_RAG_API_KEY), or listen on 127.0.0.1."
            )
        if "*" in self.allowed_hosts and self.api_key is None:
            raise ValueError(
                "allowed_hosts '*' needs an API key (it disables the DNS-rebinding guard)"
            )
        return self

    def host_allowlist(self) -> frozenset[str] | None:
        """Names accepted in the Host header (lowercase, no port); None accepts any."""
        if "*" in self.allowed_hosts:
            return None
        names = set(LOOPBACK_NAMES) | set(self.allowed_hosts)
        if self.host.lower() not in _ANY_ADDRESS:
            names.add(self.host.lower())
        return frozenset(names)

    def key(self) -> str | None:
        """The API key in clear, or None."""
        return self.api_key.get_secret_value() if self.api_key is not None else None


def _normalize_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lowercase, without a trailing slash; refuses wildcards."""
    origin = origin.strip().rstrip("/")
    if "*" in origin:
        raise ValueError(
            f"Wildcard origin {origin!r} refused: list each web origin that may call the API, "
            "such as http://localhost:3000"
        )
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ValueError(
            f"Origin {origin!r} is not of the form scheme://host[:port], e.g. http://localhost:3000"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"
