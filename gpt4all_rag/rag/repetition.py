"""Stop a small model that loops: the same line again ends the answer.

Small models answering with greedy decoding often fall into a loop ("3. Check it once.\n4. Check
it once.\n5. ..."), which a repeat penalty over the last tokens does not break. The guard lets
text through as it streams, holds back only a line that so far repeats the start of an earlier
one, and ends the answer when such a line is complete, dropping it. List numbers and bullets are
ignored in the comparison.
"""

from __future__ import annotations

import re

MIN_LINE_CHARS = 6
"""Shorter lines (a heading mark, a fence, "Yes.") may repeat without ending the answer."""

_LIST_MARKER = re.compile(r"^\s*(?:\d+[.)、]|[-*•+])?\s*")
_MARKER_SO_FAR = re.compile(r"^\s*(?:\d+[.)、]?|[-*•+])?\s*$")


def _normalized(line: str) -> str:
    return _LIST_MARKER.sub("", line, count=1).strip()


class RepetitionGuard:
    """Feed streamed text; show what ``feed`` returns; stop generating once ``stopped``."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._line = ""
        """The current line: text after the last newline."""
        self._shown = 0
        """How much of the current line has been let through."""
        self.stopped = False

    def feed(self, piece: str) -> str:
        """Text that may be shown now (nothing once the answer has been stopped)."""
        if self.stopped:
            return ""
        out: list[str] = []
        for part in re.split(r"(?<=\n)", piece):
            self._line += part
            if not self._line.endswith("\n"):
                continue
            if self._shown == 0 and self._repeats(self._line):
                self.stopped = True
                return "".join(out)
            out.append(self._take_line())
        if self._shown or not self._held_back(self._line):
            out.append(self._line[self._shown :])
            self._shown = len(self._line)
        return "".join(out)

    def flush(self) -> str:
        """The rest, at the end of generation: the last line, unless it repeats."""
        if self.stopped or (self._shown == 0 and self._repeats(self._line)):
            return ""
        return self._take_line()

    def _take_line(self) -> str:
        """Remember the current line, start a new one; return the part not yet shown."""
        text = _normalized(self._line)
        if len(text) >= MIN_LINE_CHARS:
            self._seen.add(text)
        rest = self._line[self._shown :]
        self._line, self._shown = "", 0
        return rest

    def _repeats(self, line: str) -> bool:
        text = _normalized(line)
        return len(text) >= MIN_LINE_CHARS and text in self._seen

    def _held_back(self, partial: str) -> bool:
        """Whether the line so far could still turn out to repeat an earlier one."""
        if _MARKER_SO_FAR.match(partial):
            return bool(self._seen)
        text = _normalized(partial)
        return any(seen.startswith(text) for seen in self._seen)
