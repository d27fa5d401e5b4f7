"""Reading user-supplied files: one clear error for every way a file can be unusable."""

from __future__ import annotations

from pathlib import Path

from dbagent.errors import InputFileError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def read_text_file(path: str | Path, what: str = "file", *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Return the UTF-8 text of `path`, or raise InputFileError naming the problem.

    `what` names the file's role in the message ("schema", "migration", ...).
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{what} {p}: no such file")
    if p.is_dir():
        raise InputFileError(f"{what} {p}: is a directory, expected a file")
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputFileError(f"{what} {p}: {size} bytes is over the limit of {max_bytes}")
        data = p.read_bytes()
    except PermissionError:
        raise InputFileError(f"{what} {p}: permission denied") from None
    except OSError as exc:
        raise InputFileError(f"{what} {p}: cannot read ({exc.strerror})") from None
    if b"\x00" in data:
        raise InputFileError(f"{what} {p}: binary content (NUL bytes), expected UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(f"{what} {p}: not valid UTF-8 (line {line}, byte {exc.start})") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputFileError(f"{what} {p}: file is empty")
    return text
