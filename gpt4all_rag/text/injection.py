"""Text from documents that tries to act as prompt structure or as instructions to the model.

Documents are untrusted input: a file may hold lines such as ``Answer: PWNED``, a closing
``</sources>`` tag, a chat-template token, a fake ``[2]`` source or "ignore the previous
instructions", spelled with look-alike letters, full-width forms or zero-width characters to slip
past a plain pattern. Three steps handle it:

- :func:`normalize_untrusted` is what the model may see: Unicode NFKC (full-width letters and
  colons, ligatures and mathematical letters become plain ones) without zero-width characters and
  bidirectional controls.
- :func:`detection_form` is what the patterns see: the same text with look-alike letters (Cyrillic
  and Greek letters that look Latin, such as ``А`` in ``Аnswer``) folded to ASCII, accents and
  colon look-alikes folded, lower case. It is used only for detection; the text the model sees
  keeps its real letters.
- :func:`defuse` neutralizes every turn-like label (``Answer:`` becomes ``Answer -``, in any
  script), tag and chat-template token (``<`` and ``>`` become ``‹`` and ``›``) and fake source
  marker (``[2]`` becomes ``(2)``), so a base model cannot read them as the prompt's structure.
  :func:`is_instruction_like` recognizes sentences that are dialogue turns or instructions to the
  model: they are never quoted as evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

INVISIBLE = frozenset(
    "\u00ad"  # soft hyphen
    "\u034f"  # combining grapheme joiner
    "\u061c"  # Arabic letter mark
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u180e"  # Mongolian vowel separator
    "\u200b\u200c\u200d"  # zero-width space, non-joiner, joiner
    "\u200e\u200f"  # left-to-right and right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\ufeff"  # zero-width no-break space (byte order mark)
)
"""Characters that render as nothing: removed from untrusted text."""

_LOOK_ALIKES_UPPER = {
    # Cyrillic
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "З": "3", "І": "I", "Ї": "I", "Ј": "J", "К": "K",
    "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Ѕ": "S", "Т": "T", "У": "Y", "Х": "X",
    "Ү": "Y", "Һ": "H", "Ӏ": "I", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ԍ": "G",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
    # Armenian, Cherokee and Latin letters that look like plain ones
    "Ս": "U", "Օ": "O", "Ꭺ": "A", "Ᏼ": "B", "Ꮯ": "C", "Ꭼ": "E", "Ꮋ": "H", "Ꮶ": "K",
    "Ꮇ": "M", "Ꮲ": "P", "Ꮪ": "S", "Ꭲ": "T", "Ꮃ": "W",
}  # fmt: skip
_LOOK_ALIKES_LOWER = {
    # Cyrillic
    "а": "a", "в": "b", "г": "r", "е": "e", "ё": "e", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "п": "n", "р": "p", "с": "c", "ѕ": "s", "т": "t", "у": "y",
    "х": "x", "ь": "b", "һ": "h", "ӏ": "l", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Armenian and Latin
    "օ": "o", "ս": "u", "ո": "n", "հ": "h", "ց": "g", "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g",
    "ɩ": "i", "ʏ": "y", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h",
    "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r",
    "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
}  # fmt: skip
_PUNCTUATION_LOOK_ALIKES = {
    # colons
    "\u02d0": ":", "\u02f8": ":", "\u0589": ":", "\u05c3": ":", "\u0703": ":", "\u0704": ":",
    "\u16ec": ":", "\u1803": ":", "\u1809": ":", "\u2236": ":", "\ua789": ":", "\ufe30": ":",
    # brackets that can pose as a source number
    "【": "[", "】": "]", "〔": "[", "〕": "]", "〖": "[", "〗": "]", "⟦": "[", "⟧": "]",
    "〚": "[", "〛": "]", "［": "[", "］": "]",
    # angle brackets that can pose as a tag
    "\u2039": "<", "\u203a": ">", "\u2329": "<", "\u232a": ">", "\u27e8": "<", "\u27e9": ">",
    "\u3008": "<", "\u3009": ">", "\ufe64": "<", "\ufe65": ">", "\uff1c": "<", "\uff1e": ">",
}  # fmt: skip
_FOLD = {**_LOOK_ALIKES_UPPER, **_LOOK_ALIKES_LOWER, **_PUNCTUATION_LOOK_ALIKES}


def normalize_untrusted(text: str) -> str:
    """``text`` as the model may see it: NFKC, without zero-width and bidi control characters."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if c not in INVISIBLE)


def detection_form(text: str) -> str:
    """``text`` as the patterns see it: normalized, look-alikes folded to ASCII, lower case."""
    return _fold(normalize_untrusted(text))[0]


def _fold(text: str) -> tuple[str, list[int]]:
    """The detection form of already normalized ``text``, and for each of its characters the
    index of the character of ``text`` it comes from (combining marks are dropped)."""
    chars: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        folded = _FOLD.get(c)
        if folded is None:
            if ord(c) < 128:
                folded = c
            elif unicodedata.category(c) in ("Mn", "Me"):
                continue
            else:
                base = unicodedata.normalize("NFD", c)[0]
                folded = _FOLD.get(base, base)
        for piece in folded.casefold():
            chars.append(piece)
            origin.append(i)
    return "".join(chars), origin


# --- patterns, applied to the detection form (lower case, ASCII look-alikes) ---

_TURN_WORDS = (
    r"question|answer|assistant|human|instructions?|response|sources?|context|system\s*prompt"
)
"""Labels that only a dialogue or a prompt puts before a colon."""
_TURN_WORDS_STRICT = (
    r"question|answer|assistant|human|instructions?|response|sources|context|system\s*prompt"
)
"""The same at the start of a sentence (``Source: foopackage`` is a Debian control field)."""
_AMBIGUOUS_TURN_WORDS = r"q|a|user|system|ai|bot|model|prompt|query|input|output|reply"
"""Labels that also occur before a colon in ordinary text (``user:group``, ``a:hover``)."""
_CJK_TURN_WORDS = r"问题|问|答案|答|回答|提问|用户|助手|系统|指令|上下文|来源|资料|人类|机器人"
_NUMBERED_LABEL = r"(?:source|document|doc|passage|chunk|context|excerpt)\s*#?\s*\d{1,3}"

_TURN_LABEL = re.compile(
    rf"(?<![\w-])(?:{_TURN_WORDS}|{_NUMBERED_LABEL})\s*:(?!//)"
    rf"|(?<![\w:/.-])(?:{_AMBIGUOUS_TURN_WORDS})\s*:(?=\s|$|[\"'*_(\[<])"
    rf"|(?:{_CJK_TURN_WORDS})\s*:"
)
"""A turn-like label and its colon, anywhere."""

_HEADING_LABEL = re.compile(
    rf"#{{1,6}}\s*(?=(?:{_TURN_WORDS}|{_AMBIGUOUS_TURN_WORDS}|{_CJK_TURN_WORDS})\b)"
)
"""The hashes of a markdown-ish turn heading such as ``### Instruction``."""

_TAG = re.compile(
    r"<{1,2}(?:\s*[/|]\s*|!|\s+(?=(?:sources?|context|documents?|system|user|assistant|instructions?"
    r"|prompt|human|question|answer|s)\b))?[a-z_\u4e00-\u9fff]"
    r"(?:[^<>\n]{0,200}?>{1,2})?"
)
"""A tag or chat-template token: ``</sources>``, ``<source id=2>``, ``<|im_start|>``,
``<start_of_turn>``, ``<</SYS>>``, or an opening ``<`` of one left unclosed."""

_BRACKET_TOKEN = re.compile(
    r"\[\s*/?\s*(?:inst|sys|system|user|assistant|context|sources?|question|answer|instructions?"
    r"|start|end|eos|bos)\s*\]"
)
"""Chat-template tokens in square brackets: ``[INST]``, ``[/INST]``."""

_SOURCE_MARKER = re.compile(r"\[\s*\^?\s*\d{1,3}\s*\]")
"""A source number as the prompt writes it: ``[2]``, ``[ 3 ]``, ``【2】``."""

# --- what makes a sentence a turn or an instruction (detection form) ---

_LEAD = r"^[\s\"'“‘«(*_>•·\-–—|]*"
"""What may precede a label at the start of a sentence (quotes, bullets, emphasis)."""

_TURN_START = re.compile(
    rf"{_LEAD}(?:#{{1,6}}\s*)?"
    rf"(?:(?:{_TURN_WORDS_STRICT}|{_NUMBERED_LABEL}|user|system|ai|bot)\s*[:\]>]|[qa]:"
    rf"|(?:{_CJK_TURN_WORDS})\s*:"
    r"|#{1,6}\s*(?:instructions?|response|system\s*prompt|assistant|human)\b)"
)
_TEMPLATE_TOKEN = re.compile(
    r"<\|[a-z_]{1,30}\|>|<\s*/?\s*(?:start_of_turn|end_of_turn|bos|eos|eot|pad|unk)\s*>|</s>|^<s>"
    r"|<</?sys>>|\[/?inst\]|\b(?:im_start|im_end|start_header_id|end_header_id|eot_id)\b"
)
_STRUCTURE_TAG = re.compile(
    r"(?:<\s*/|^<)\s*(?:sources?|context|documents?|system|user|assistant|instructions?|prompt|human"
    r"|question|answer|query|retrieved\w*|search_results?)\b[^<>]{0,100}>"
)
_FAKE_SOURCE_START = re.compile(rf"{_LEAD}\[\s*\^?\s*\d{{1,3}}\s*\](?!\s*[:=(\[])")
_INSTRUCTION = re.compile(
    # "ignore all previous instructions"
    r"\b(?:ignore|disregard|forget|override|bypass|do not follow|don't follow)\b[^.!?]{0,40}?"
    r"\b(?:previous|prior|above|earlier|preceding|original|your|my|system|these|those|any)\b"
    r"[^.!?]{0,25}?\b(?:instructions?|directions?|prompts?|guidelines|directives?|commands"
    r"|messages?|rules?|context)\b"
    r"|\b(?:ignore|disregard|forget) (?:all|everything)\b"
    # "you must answer"
    r"|\byou (?:must|should|shall|have to|need to|are (?:required|instructed) to|will)\s+"
    r"(?:now\s+|always\s+|only\s+|just\s+)*(?:answer|reply|respond|say|state|output|write)"
    r"\s*(?:only\b|with\b|exactly\b|that\b|the word\b|the following\b|:|\"|'|“|‘)"
    # "Answer only with", "Reply with the word"
    r"|^[^a-z]*(?:please\s+|now\s+|instead,?\s+|always\s+|only\s+|just\s+)*(?:answer|reply|respond)"
    r"\s+(?:only\b|with\b|exactly\b|in\b|by\b|that\b|:|\"|')"
    r"|\b(?:do not|don't|never|stop) (?:answer|reply|respond)(?:ing)?\b"
    r"|\b(?:instead|always|only),? (?:answer|reply|respond|say)\b"
    # planted answers
    r"|\bthe (?:correct|right|real|true|only|actual|official|final) answer (?:is|was|will be)\b"
    r"|\bwhen(?:ever)? (?:you are |you're |someone |anyone |the user )?(?:is )?asked\b"
    r"[^.!?]{0,80}\b(?:answer|reply|respond|say|tell)\b"
    r"|\bif (?:anyone|someone|somebody|the user|a user|you are) asks?\b[^.!?]{0,80}"
    r"\b(?:answer|reply|respond|say|tell)\b"
    # talking to the model
    r"|\bsystem prompt\b|\bas an? (?:ai|large language model|language model|llm|chatbot|ai assistant)\b"
    r"|\byou are (?:now |no longer )?(?:an? |the )(?:helpful |ai |new )?(?:assistant|ai|chatbot"
    r"|language model|llm)\b"
    r"|\b(?:the|this|any) (?:assistant|ai|chatbot|language model|llm)\s+(?:must|should|shall|will"
    r"|has to)\b"
    r"|\bnew instructions\b|\bdeveloper mode\b|\bjailbreak|\bprompt injection test\b"
    r"|\b(?:from now on|henceforth),? (?:you|always|answer|reply|respond|say)\b"
    r"|\btell the user\b"
    # Chinese
    r"|(?:忽略|无视|忘记|忘掉|不要理会|不要遵守)[^。！？]{0,12}(?:指令|指示|提示|规则|说明|要求|命令)"
    r"|你(?:必须|应该|应当|需要|只能|一定要|务必)[^。！？]{0,6}(?:回答|回复|说|输出|答复)"
    r"|(?:^|[。！？\s])请(?:只|仅|务必|直接)?(?:回答|回复|答复|输出)"
    r"|正确(?:的)?答案(?:是|为)|系统提示|作为(?:一个|一名)?(?:ai|人工智能|语言模型|助手|ai助手)"
)


def is_instruction_like(sentence: str) -> bool:
    """Whether a sentence reads as a dialogue turn, prompt structure or an instruction to the
    model (in any script, whatever look-alike letters or invisible characters it uses)."""
    text = detection_form(sentence).strip()
    return bool(
        _TURN_START.search(text)
        or _TEMPLATE_TOKEN.search(text)
        or _STRUCTURE_TAG.search(text)
        or _FAKE_SOURCE_START.search(text)
        or _INSTRUCTION.search(text)
    )


def defuse(text: str) -> str:
    """Normalized ``text`` with every turn-like label, tag, chat-template token and fake source
    marker neutralized, so that a model cannot read it as prompt structure.

    ``Answer:`` (``Аnswer：``, ``问：`` ...) becomes ``Answer -``; ``<`` and ``>`` of a tag or token
    become ``‹`` and ``›``; ``[2]`` and ``【2】`` become ``(2)``; ``[INST]`` becomes ``(INST)``;
    the hashes of ``### Instruction`` are dropped. Everything else is kept as normalized.
    """
    text = normalize_untrusted(text)
    folded, origin = _fold(text)
    edits: list[tuple[int, int, str]] = []

    def collect(pattern: re.Pattern[str], render: Callable[[str], str]) -> None:
        for match in pattern.finditer(folded):
            if match.end() == match.start():
                continue
            start, end = origin[match.start()], origin[match.end() - 1] + 1
            edits.append((start, end, render(text[start:end])))

    collect(_TAG, _defuse_tag)
    collect(_BRACKET_TOKEN, lambda s: "(" + s.strip("[]［］【】〔〕〖〗⟦⟧〚〛 ").strip() + ")")
    collect(_SOURCE_MARKER, lambda s: "(" + "".join(filter(str.isdigit, s)) + ")")
    collect(_TURN_LABEL, _defuse_label)
    collect(_HEADING_LABEL, lambda _: "")
    return _apply(text, edits)


def _defuse_tag(tag: str) -> str:
    out = []
    for c in tag:
        folded = _FOLD.get(c, c)
        out.append("‹" if folded == "<" else "›" if folded == ">" else c)
    return "".join(out)


def _defuse_label(label: str) -> str:
    """``Answer:`` -> ``Answer -`` (the colon, or its look-alike, becomes a dash)."""
    return label[:-1].rstrip() + " -"


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with the non-overlapping edits applied (earlier and longer ones win)."""
    out: list[str] = []
    position = 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], -e[1])):
        if start < position:
            continue
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def without_turns(text: str) -> str:
    """``text`` without its dialogue turns and prompt structure: a paragraph is cut from the
    first line that starts with a turn label (``A:``, ``Аnswer：``, ``问：`` ...) or holds a
    chat-template token or structure tag, to its end (so that ``A: Never. Type the code X.``
    loses its second sentence too). Apply before cutting text into evidence sentences."""
    kept: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        lines = paragraph.split("\n")
        for i, line in enumerate(lines):
            folded = detection_form(line).strip()
            if (
                _TURN_START.search(folded)
                or _TEMPLATE_TOKEN.search(folded)
                or _STRUCTURE_TAG.search(folded)
            ):
                lines = lines[:i]
                break
        if any(line.strip() for line in lines):
            kept.append("\n".join(lines))
    return "\n\n".join(kept)
