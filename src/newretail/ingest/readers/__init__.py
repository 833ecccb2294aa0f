"""Reading export files into chunks of rows, each row with its line in the file.

``read_file(path, ...)`` yields :class:`RawChunk` objects (a table, the rows' 1-based
lines, the rows that could not be read as :class:`RowIssue`); ``read_header`` gives the
column names cheaply; ``detect_format`` and ``file_sha256`` identify a file. Problems with
a file as a whole raise :class:`newretail.core.errors.InputFileError`.
"""

from newretail.ingest.readers.detect import detect_format, file_sha256
from newretail.ingest.readers.files import read_file, read_header
from newretail.ingest.readers.model import (
    BAD_JSON,
    DEFAULT_CHUNK_ROWS,
    DEFAULT_NULL_VALUES,
    FIELD_COUNT,
    MALFORMED,
    TRUNCATED,
    FileReader,
    Format,
    Prefetch,
    RawChunk,
    RowIssue,
)

__all__ = [
    "BAD_JSON",
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_NULL_VALUES",
    "FIELD_COUNT",
    "MALFORMED",
    "TRUNCATED",
    "FileReader",
    "Format",
    "Prefetch",
    "RawChunk",
    "RowIssue",
    "detect_format",
    "file_sha256",
    "read_file",
    "read_header",
]
