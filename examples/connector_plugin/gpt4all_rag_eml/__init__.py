"""A connector for e-mail messages (.eml): headers and the text body, one Document each."""

from __future__ import annotations

from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from bs4 import BeautifulSoup
from langchain_core.documents import Document

from connectors import LoadError, make_document
from connectors.html import html_to_text

__all__ = ["EmlConnector"]

_HEADERS = ("From", "To", "Cc", "Date", "Subject")


def _body(message: EmailMessage) -> str:
    """The plain-text body if there is one, else the HTML body's visible text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_subtype() == "html":
        return html_to_text(BeautifulSoup(content, "lxml"))
    return str(content)


class EmlConnector:
    """Reads .eml files: the main headers, then the body; attachments are not read."""

    name = "eml"
    suffixes = frozenset({".eml"})

    def load(self, path: Path) -> Iterator[Document]:
        """Yield the message as one Document titled by its subject.

        Raises:
            LoadError: The file has no headers or no text body.
        """
        with path.open("rb") as stream:
            message = BytesParser(policy=policy.default).parse(stream)
        if not isinstance(message, EmailMessage) or not message.keys():
            raise LoadError(path, "not an e-mail message (no headers)")
        body = _body(message).strip()
        if not body:
            raise LoadError(path, "e-mail without a text body, nothing to index")
        headers = "\n".join(f"{h}: {message[h]}" for h in _HEADERS if message[h])
        subject = str(message["Subject"] or "")
        yield make_document(
            f"{headers}\n\n{body}",
            path=path,
            title=subject or path.name,
            sender=str(message["From"] or ""),
        )
