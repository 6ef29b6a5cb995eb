"""Unknown keywords are refused, naming the bad key and the nearest valid one.

Every public class takes its options by keyword; a typo (``temprature=0.5``) must fail loudly
instead of being dropped. This module holds the one message they all use.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(key: str, valid: Iterable[str]) -> str | None:
    """The valid keyword closest to ``key`` in spelling; None when none is close."""
    matches = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_keyword_message(owner: str, key: str, valid: Iterable[str]) -> str:
    """``owner got an unknown keyword 'key'; did you mean 'nearest'?`` and the valid ones."""
    options = sorted(valid)
    close = nearest(key, options)
    hint = f" Did you mean {close!r}?" if close else ""
    return f"{owner} got an unknown keyword {key!r}.{hint} Valid: {', '.join(options)}."


def reject_unknown(owner: str, given: Iterable[str], valid: Iterable[str]) -> None:
    """Raise ``TypeError`` for the first keyword in ``given`` that is not in ``valid``.

    Args:
        owner: What took the keywords, as the user wrote it (``ChatGPT4All``,
            ``ChatGPT4All.invoke``).
        given: The keywords passed.
        valid: The keywords accepted.

    Raises:
        TypeError: Naming the unknown keyword and the nearest valid one.
    """
    allowed = set(valid)
    for key in given:
        if key not in allowed:
            raise TypeError(unknown_keyword_message(owner, key, allowed))
