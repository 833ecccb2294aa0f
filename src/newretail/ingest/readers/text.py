"""Text exports as UTF-8 blocks that end at a line break, whatever the file's encoding.

Chinese exports come as UTF-8, UTF-8 with a byte-order mark (Excel's "CSV UTF-8") or
GB18030/GBK (Excel's default "CSV" on a Chinese Windows). ``auto`` tells them apart on the
first megabyte. Blocks are cut after a ``\\n``: that byte never occurs inside a multi-byte
character in UTF-8, GBK or GB18030, so every block decodes on its own and the memory used
stays at a few blocks whatever the file's size.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from newretail.core.errors import ConfigError, InputFileError
from newretail.ingest.readers.detect import read_unpacked
from newretail.ingest.readers.model import fail

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "gb18030", "gbk")
BLOCK_BYTES = 1 << 20
SAMPLE_BYTES = 1 << 20
#: a record (or line) longer than this is taken for an unclosed quote, not for data
MAX_RECORD_BYTES = 32 << 20

_INCOMPLETE = ("unexpected end of data", "incomplete multibyte sequence")


def check_encoding(encoding: str) -> str:
    """The encoding name, normalised (``UTF8`` → ``utf-8``); raises if it is not supported."""
    name = encoding.strip().lower().replace("_", "-")
    name = {"utf8": "utf-8", "utf-8-bom": "utf-8-sig", "utf8-sig": "utf-8-sig"}.get(name, name)
    if name not in ENCODINGS:
        raise ConfigError(key="ingest.read.encoding_name", encoding=encoding)
    return name


class TextStream:
    """The file's text re-encoded as UTF-8, in blocks of about a megabyte.

    Every block but the last ends with ``b"\\n"``; a byte-order mark is dropped. ``encoding``
    is the one used (``auto`` resolved). Undecodable bytes raise :class:`InputFileError`
    naming the line and the byte offset (in the uncompressed content).
    """

    def __init__(self, path: Path, handle: BinaryIO, *, encoding: str = "auto") -> None:
        self.path = path
        self._handle = handle
        declared = check_encoding(encoding)
        head = self._read()
        if not head:
            raise fail("ingest.read.empty", path)
        self._eof = len(head) < BLOCK_BYTES
        self.encoding, self._codec, bom = _resolve(path, head, declared)
        self._pending = head[bom:]
        self._offset = bom
        self._line = 1

    def __iter__(self) -> Iterator[bytes]:
        pending, eof = self._pending, self._eof
        self._pending = b""
        while True:
            cut = len(pending) if eof else pending.rfind(b"\n") + 1
            if cut:
                data, pending = pending[:cut], pending[cut:]
                yield self._decode(data)
                self._line += data.count(b"\n")
                self._offset += len(data)
            if eof:
                return
            if len(pending) > MAX_RECORD_BYTES:
                raise fail(
                    "ingest.read.record_too_long",
                    self.path,
                    line=self._line,
                    limit_mb=MAX_RECORD_BYTES >> 20,
                )
            more = self._read()
            eof = not more
            pending += more

    def _read(self) -> bytes:
        return read_unpacked(self.path, self._handle, BLOCK_BYTES)

    def _decode(self, data: bytes) -> bytes:
        if self._codec == "utf-8" and data.isascii():
            return data
        try:
            text = data.decode(self._codec)
        except UnicodeDecodeError as exc:
            if exc.reason in _INCOMPLETE and exc.end == len(data) and not data.endswith(b"\n"):
                # the file was cut inside a character: the row readers report the cut line
                return self._decode(data[: exc.start])
            raise self._error(data, exc) from None
        return data if self._codec == "utf-8" else text.encode("utf-8")

    def _error(self, data: bytes, exc: UnicodeDecodeError) -> InputFileError:
        where: dict[str, Any] = {
            "offset": self._offset + exc.start,
            "line": self._line + data.count(b"\n", 0, exc.start),
            "byte": f"{data[exc.start]:02x}",
        }
        others = [c for c in ("gb18030", "utf-8") if c != self._codec and _decodes(data, c)]
        if not others:
            return fail("ingest.read.encoding", self.path, **where)
        return fail(
            "ingest.read.decode", self.path, encoding=self.encoding, suggest=others[0], **where
        )


def _resolve(path: Path, head: bytes, declared: str) -> tuple[str, str, int]:
    """(encoding reported, Python codec, length of the byte-order mark to drop)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise fail("ingest.read.utf16", path)
    if declared in ("gb18030", "gbk"):
        return declared, declared, 0
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8", len(codecs.BOM_UTF8)
    if declared != "auto":
        return declared, "utf-8", 0
    sample = head[:SAMPLE_BYTES]
    failure: UnicodeDecodeError | None = None
    for codec in ("utf-8", "gb18030"):
        try:
            # final=False: the sample may end inside a character
            codecs.getincrementaldecoder(codec)().decode(sample, final=False)
        except UnicodeDecodeError as exc:
            failure = exc
            continue
        return codec, codec, 0
    assert failure is not None
    raise fail(
        "ingest.read.encoding",
        path,
        offset=failure.start,
        line=sample.count(b"\n", 0, failure.start) + 1,
        byte=f"{sample[failure.start]:02x}",
    )


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True
