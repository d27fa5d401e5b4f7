"""Instructions inside a recommendation that try to weaken security: found, reported, never obeyed.

The recommendation is data; these phrases are reported as warnings in the Result so that the
orchestrating agent or the engineer sees that its source asked for something dangerous.
"""

from __future__ import annotations

import re

# (what it asks for, pattern over the recommendation's text, case-insensitive)
REQUESTS: tuple[tuple[str, str], ...] = (
    ("disable row-level security", r"\b(disable|turn off|remove|drop)\b[^.\n]{0,40}\b(row[- ]level security|rls)\b"
                                   r"|\bno force row level security\b"),
    ("drop policies", r"\bdrop\s+(all\s+)?polic(y|ies)\b"),
    ("grant superuser or BYPASSRLS", r"\b(grant|give|make)\b[^.\n]{0,60}\b(superuser|bypassrls)\b|\bwith\s+superuser\b"
                                     r"|\balter\s+role\b[^;\n]{0,60}\b(superuser|bypassrls)\b"),
    ("run programs on the server", r"\bto\s+program\b|\bcopy\b[^;\n]{0,80}\bprogram\b|\bplpython3?u\b|\bplperlu\b"
                                   r"|\bsystem\s*\(|\\!"),
    ("read or write server files", r"\bpg_read_(binary_)?file\b|\blo_(import|export)\b|\bpg_ls_dir\b"
                                   r"|\bpg_(read|write)_server_files\b|/etc/passwd"),
    ("ignore the rules", r"\bignore\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier)\s+(instructions|rules)\b"
                         r"|\bdisregard\s+(the\s+)?(system|previous)\b"),
)
_COMPILED = [(what, re.compile(pattern, re.I)) for what, pattern in REQUESTS]


def scan(text: str) -> list[str]:
    """One warning per kind of request found, quoting where it appears."""
    warnings = []
    for what, pattern in _COMPILED:
        m = pattern.search(text)
        if m:
            line = text.count("\n", 0, m.start()) + 1
            warnings.append(f"the recommendation asks to {what} (line {line}: {m.group(0)[:80]!r}); "
                            "treated as data, not as an instruction")
    return warnings
