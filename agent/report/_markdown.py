"""Markdown to sections: markdown-it-py finds headings, fences, lists and tables with line
ranges; we decide which headings start the spec's 11 sections, however the author styled them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

# Ordered: the first keyword group that matches a title decides (e.g. "Pre-Implementation
# Validation" is validation, not the plan; "Implementation Classification" is classification).
KEYWORDS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("classification", "priority level", "severity")),
    (2, ("summary", "overview")),
    (3, ("requirement",)),
    (4, ("files structure", "file structure", "files", "file layout", "structure")),
    (7, ("validation", "checklist")),
    (8, ("deployment", "rollout", "deploy")),
    (9, ("metric", "success criteria", "kpi")),
    (10, ("maintenance",)),
    (11, ("rollback", "roll back", "roll-back")),
    (6, ("code", "sql")),
    (5, ("plan", "phases")),
)
_NUMBER = re.compile(r"^(?:section|part|step)?\s*(\d{1,2})(?:\s*[.):\-–—]|\s+(?=[a-z]))(?!\d)\s*", re.I)
_SECTION_WORD = re.compile(r"^(?:section|part)\s+(\d{1,2})\s*[.):\-–—]*\s*", re.I)


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def tokens_of(text: str) -> list[Token]:
    return _md().parse(text)


def normalize_title(raw: str) -> tuple[int | None, str]:
    """(section number if the title starts with one, lower-case title without markup or emoji)."""
    text = "".join(ch for ch in raw if unicodedata.category(ch)[0] in "LNZP" or ch in "-&/")
    text = text.replace("**", "").replace("__", "").replace("`", "").strip().strip(":").strip()
    number = None
    m = _SECTION_WORD.match(text) or _NUMBER.match(text)
    if m:
        number, text = int(m.group(1)), text[m.end():]
    return number, " ".join(text.lower().replace("*", "").split()).strip(" .:-–—")


def sections_named(title: str) -> list[int]:
    """The section numbers a normalized title names: one, or several when the title joins
    sections ("Maintenance & Rollback"); "Maintenance Plan" is maintenance, not the plan.
    File paths in a title (`db/rollback/001.sql`) name no section."""
    found = []
    title = " ".join(w for w in title.split() if "/" not in w and "." not in w.strip(".:,"))
    rest = title
    for number, words in KEYWORDS:
        for word in words:
            if word in rest:
                found.append(number)
                rest = rest.replace(word, " ")
                break
    joined = any(j in f" {title} " for j in (" and ", " & ", " + ", "/"))
    return sorted(set(found)) if joined else found[:1]


@dataclass
class Heading:
    line: int          # 0-based line of the heading
    level: int         # 1-6, or 7 for a bold paragraph used as a heading
    number: int | None
    title: str
    raw: str
    sections: list[int] = field(default_factory=list)


def headings(tokens: list[Token]) -> list[Heading]:
    """Every heading, and every paragraph that is only bold text starting with a number."""
    out = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            raw = tokens[i + 1].content
            level = int(tok.tag[1])
        elif tok.type == "paragraph_open" and tok.map and tok.level == 0 and tok.map[1] - tok.map[0] == 1:
            raw = tokens[i + 1].content.strip()
            if not (raw.startswith("**") and raw.rstrip(":").endswith("**") and _NUMBER.match(raw.strip("* "))):
                continue
            level = 7
        else:
            continue
        number, title = normalize_title(raw)
        h = Heading(tok.map[0], level, number, title, raw)
        named = sections_named(title)
        if number is not None and 1 <= number <= 11 and (not named or number in named):
            h.sections = sorted({number, *named}) if len(named) > 1 else [number]
        elif named and number is None:
            h.sections = named
        elif named and number is not None and number > 11:
            h.sections = []
        else:
            h.sections = named if number is None else []
        out.append(h)
    return out


@dataclass
class SectionText:
    number: int
    heading_line: int
    start: int   # first body line (0-based)
    end: int     # one past the last body line
    body: str


def split_sections(text: str, tokens: list[Token]) -> tuple[str, dict[int, list[SectionText]]]:
    """The title, and for each section number the stretches of text under its heading(s)."""
    lines = text.split("\n")  # markdown-it's lines: str.splitlines() also splits on \x1e, \u2028...
    hs = headings(tokens)
    matching = [h for h in hs if h.sections]
    title = next((h.raw.strip("# *") for h in hs if h.level == 1 and not h.sections), "")
    if not matching:
        return title, {}
    # The section level is the one most section headings use; deeper ones are subsections.
    by_level: dict[int, set[int]] = {}
    for h in matching:
        by_level.setdefault(h.level, set()).update(h.sections)
    level = max(by_level, key=lambda lv: (len(by_level[lv]), -lv))
    bounds = [h for h in hs if h.level == level and h.sections]
    numbered = [h for h in bounds if h.number is not None]
    if len(numbered) >= 6:  # the author numbers sections: an unnumbered heading is a subsection
        bounds = numbered
    out: dict[int, list[SectionText]] = {}
    for k, h in enumerate(bounds):
        end = bounds[k + 1].line if k + 1 < len(bounds) else len(lines)
        body = _trim("\n".join(lines[h.line + 1:end]))
        for number in h.sections:
            out.setdefault(number, []).append(SectionText(number, h.line, h.line + 1, end, body))
    return title, out


def _trim(body: str) -> str:
    """Body without surrounding blank lines and a trailing thematic break (---)."""
    lines = body.strip("\n").split("\n")
    while lines and (not lines[-1].strip() or lines[-1].strip() in ("---", "***", "___")):
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)
