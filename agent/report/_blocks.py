"""Reading markdown-it tokens of one section: paragraphs, list items, tables, fences."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.token import Token

_MARKUP = re.compile(r"(\*\*|__|`)")
_CHECKBOX = re.compile(r"^\[( |x|X)\]\s*")


def plain(text: str) -> str:
    """Inline markdown as plain text: no bold markers or backticks, one line."""
    return " ".join(_MARKUP.sub("", text).split())


@dataclass
class Item:
    depth: int
    text: str
    checked: bool | None  # None: not a checkbox
    context: str          # the nearest heading or bold label above it in the section


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    context: str


@dataclass
class Fence:
    info: str
    content: str
    line: int            # 0-based line of the opening fence in the whole document
    context: str         # heading / paragraph just before it, since the previous fence
    headings: str        # the nearest heading above it


def _is_label(text: str) -> bool:
    t = text.strip()
    return t.startswith("**") and (t.endswith("**") or t.endswith("**:") or t.endswith(":**")) and len(t) < 120


def walk(tokens: list[Token]) -> tuple[list[str], list[Item], list[Table], list[Fence]]:
    """Paragraph texts, list items, tables and fences of a token slice, in order."""
    paragraphs: list[str] = []
    items: list[Item] = []
    tables: list[Table] = []
    fences: list[Fence] = []
    context = ""          # heading or bold label: which part of the section we are in
    near = ""             # what was written just before the next fence
    heading = ""
    depth = 0
    in_item = 0
    table: Table | None = None
    row: list[str] | None = None
    in_head = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        if t == "heading_open":
            heading = context = near = tokens[i + 1].content
            i += 3
            continue
        if t in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif t in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif t == "list_item_open":
            in_item += 1
            content = tokens[i + 2].content if i + 2 < len(tokens) and tokens[i + 2].type == "inline" else ""
            m = _CHECKBOX.match(content)
            items.append(Item(depth, plain(content[m.end():] if m else content),
                              (m.group(1).lower() == "x") if m else None, context))
            near = content
        elif t == "list_item_close":
            in_item -= 1
        elif t == "paragraph_open" and not in_item:
            content = tokens[i + 1].content
            paragraphs.append(content)
            if _is_label(content.split("\n", 1)[0]):
                context = content.split("\n", 1)[0]
            near = content
        elif t == "table_open":
            table = Table([], [], context)
        elif t == "thead_open":
            in_head = True
        elif t == "thead_close":
            in_head = False
        elif t == "tr_open":
            row = []
        elif t in ("th_open", "td_open") and row is not None:
            row.append(plain(tokens[i + 1].content))
        elif t == "tr_close" and table is not None and row is not None:
            if in_head:
                table.header = row
            else:
                table.rows.append(row)
            row = None
        elif t == "table_close" and table is not None:
            tables.append(table)
            table = None
        elif t == "fence" or t == "code_block":
            fences.append(Fence(tok.info.strip(), tok.content, tok.map[0] if tok.map else 0, near, heading))
            near = ""
        i += 1
    return paragraphs, items, tables, fences
