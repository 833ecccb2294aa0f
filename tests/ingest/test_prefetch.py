"""Reading ahead in a background thread changes nothing but when the reading happens."""

from __future__ import annotations

from pathlib import Path

import pytest

from newretail.core.errors import InputFileError
from newretail.ingest.readers import Prefetch, read_file


def numbers_file(path: Path, count: int) -> Path:
    path.write_text("n\n" + "".join(f"{i}\n" for i in range(count)), encoding="utf-8")
    return path


def test_read_ahead_gives_the_same_chunks_in_order(tmp_path: Path) -> None:
    path = numbers_file(tmp_path / "many.csv", 25)

    with Prefetch(read_file(path, chunk_rows=10)) as chunks:
        got = [(c.table.column("n").to_pylist(), c.lines.tolist()) for c in chunks]

    assert [len(values) for values, _ in got] == [10, 10, 5]
    assert [v for values, _ in got for v in values] == [str(i) for i in range(25)]
    assert [line for _, lines in got for line in lines] == list(range(2, 27))


def test_read_ahead_raises_a_late_file_error_after_the_chunks_before_it(tmp_path: Path) -> None:
    ascii_lines = "".join(f"S{i:07d},water\n" for i in range(250_000))  # ~3.5 MB of ASCII
    content = ("store,name\n" + ascii_lines).encode() + "S9,酸奶\n".encode("gb18030")
    path = tmp_path / "late.csv"
    path.write_bytes(content)

    with Prefetch(read_file(path, encoding="utf-8", chunk_rows=20_000)) as chunks:
        first = next(chunks)
        with pytest.raises(InputFileError) as raised:
            list(chunks)

    assert first.num_rows == 20_000
    assert raised.value.key == "ingest.read.decode"


def test_closing_the_read_ahead_early_closes_the_reader(tmp_path: Path) -> None:
    reader = read_file(numbers_file(tmp_path / "many.csv", 100), chunk_rows=5)

    with Prefetch(reader) as chunks:
        next(chunks)

    assert list(reader) == []
    assert list(chunks) == []
