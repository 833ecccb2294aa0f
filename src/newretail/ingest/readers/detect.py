"""What a file is: its digest, its format by name and by content, and its bytes unpacked.

A file's extension (or the mapping's ``format``) says what it claims to be; its first bytes
say what it is. Exports go wrong in both directions — an HTML error page saved as
``sales.xlsx``, a CSV renamed ``.parquet`` — so both are checked before anything is parsed.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path
from typing import BinaryIO, Literal, cast, get_args

from newretail.core.errors import ConfigError
from newretail.ingest.readers.model import Format, fail

Kind = Literal["text", "html", "zip", "parquet", "gzip", "pdf", "xls", "binary"]

FORMATS: tuple[Format, ...] = get_args(Format)
EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
TEXT_FORMATS: tuple[Format, ...] = ("csv", "jsonl")
LABELS: dict[Format, str] = {
    "csv": "CSV",
    "excel": "Excel .xlsx",
    "parquet": "Parquet",
    "jsonl": "JSON Lines",
}
# the kind of content each format must have
EXPECTED: dict[Format, Kind] = {
    "csv": "text",
    "jsonl": "text",
    "excel": "zip",
    "parquet": "parquet",
}

_SNIFF_BYTES = 4096
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003, and encrypted .xlsx
_MARKUP = (b"<!doctype", b"<html", b"<?xml", b"<table", b"<head", b"<body")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of the file's bytes as stored (hex), read in blocks: memory stays small."""
    path = Path(path)
    check_readable(path)
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check_readable(path: Path) -> None:
    """Raise if ``path`` is missing or a folder."""
    if not path.exists():
        raise fail("ingest.read.missing", path)
    if not path.is_file():
        raise fail("ingest.read.not_a_file", path)


def detect_format(path: str | Path, declared: str | None = None) -> Format:
    """The format to read ``path`` as: ``declared`` (the mapping's ``format``) if given, else
    the one its extension names (``.csv .txt .tsv .xlsx .xlsm .parquet .jsonl .ndjson``,
    text formats optionally followed by ``.gz``).

    Raises :class:`InputFileError` when the file is missing or empty, when the extension is
    unknown and no format is declared, and when the content is not what the file claims
    (naming the file, the claim and what the content looks like).
    """
    path = Path(path)
    check_readable(path)
    if path.stat().st_size == 0:
        raise fail("ingest.read.empty", path)
    suffix, gzipped = _suffix(path)
    if declared is not None:
        fmt = _format_name(declared)
        claimed = f'{LABELS[fmt]} (format = "{declared}")'
    elif suffix == ".xls":
        raise fail("ingest.read.xls", path)
    elif suffix in EXTENSIONS:
        fmt = EXTENSIONS[suffix]
        claimed = f"{LABELS[fmt]} ({suffix}{'.gz' if gzipped else ''})"
    else:
        raise fail("ingest.read.unknown_extension", path, ext=path.suffix or "(none)")
    _check_content(path, fmt, claimed=claimed, gzipped=gzipped)
    return fmt


def _format_name(declared: str) -> Format:
    name = declared.strip().lower()
    if name == "xlsx":
        name = "excel"
    if name not in FORMATS:
        raise ConfigError(key="ingest.read.format_name", format=declared)
    return name


def _suffix(path: Path) -> tuple[str, bool]:
    """The format extension (lower case) and whether a ``.gz`` follows it."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        return (suffixes[-2] if len(suffixes) > 1 else ""), True
    return (suffixes[-1] if suffixes else ""), False


def _check_content(path: Path, fmt: Format, *, claimed: str, gzipped: bool) -> None:
    head = read_head(path)
    outer = sniff(head)
    if outer == "gzip" and fmt in TEXT_FORMATS:
        # a compressed export is read transparently, whatever its name; its content must fit
        with open_binary(path) as handle:
            head = read_unpacked(path, handle, _SNIFF_BYTES)
    inner = sniff(head)
    if "xls" in (outer, inner):
        raise fail("ingest.read.xls", path)
    if gzipped and outer != "gzip":
        raise fail(f"ingest.read.wrong_format.{outer}", path, claimed=f"gzip ({path.name})")
    if inner != EXPECTED[fmt]:
        raise fail(f"ingest.read.wrong_format.{inner}", path, claimed=claimed)
    if fmt == "jsonl" and not _starts_json_object(head):
        raise fail("ingest.read.wrong_format.jsonl", path, claimed=claimed)


def read_head(path: Path) -> bytes:
    """The first bytes of the file as stored."""
    with path.open("rb") as handle:
        return handle.read(_SNIFF_BYTES)


def sniff(head: bytes) -> Kind:
    """What the first bytes of a file look like."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(_OLE2):
        return "xls"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(_BOMS[1:]):
        return "text"  # UTF-16: the text reader explains what to do with it
    body = head.removeprefix(_BOMS[0]).lstrip().lower()
    if body.startswith(_MARKUP):
        return "html"
    if b"\x00" in head:
        return "binary"
    return "text"


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, gunzipped if they are gzip-compressed (by content, not by name)."""
    with path.open("rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


def read_unpacked(path: Path, handle: BinaryIO, size: int) -> bytes:
    """``handle.read(size)``, a damaged gzip stream reported as a file error."""
    try:
        return handle.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise fail("ingest.read.corrupt", path, format="gzip", detail=str(exc)) from None


def _starts_json_object(head: bytes) -> bool:
    if head.startswith(_BOMS[1:]):
        return True  # UTF-16: the text reader explains what to do with it
    body = head.removeprefix(_BOMS[0]).lstrip()
    return not body or body.startswith(b"{")
