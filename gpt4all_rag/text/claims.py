"""The checkable claims of a sentence: numbers, identifiers, quoted strings and names.

They are what a small model gets wrong when it invents, and what an answer to a technical
question usually holds, so the support check and the evidence ranking both look for them.
"""

from __future__ import annotations

import re

from gpt4all_rag.text.terms import normalize

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_IDENTIFIER = re.compile(
    r"(?<![\w-])(?:--?[a-z][\w-]*|[\w.]*[a-z][\w.]*\(\)?|\w+(?:[._/:]\w+)+|[a-z]+[A-Z]\w*)"
)
_QUOTED = re.compile(r"[\"“'‘`]([^\"”'’`]{2,60})[\"”'’`]")
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-zA-Z]{2,}")


def checkable_claims(answer: str) -> set[str]:
    """Numbers, identifiers, quoted strings and mid-sentence names in ``answer``, normalized."""
    claims = set(_NUMBER.findall(answer))
    claims.update(match.group().rstrip("()") for match in _IDENTIFIER.finditer(answer))
    claims.update(_QUOTED.findall(answer))
    claims.update(_NAME.findall(answer))
    return {normalize(claim).strip(" .,;:") for claim in claims if claim.strip(" .,;:")}
