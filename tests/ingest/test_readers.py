"""Reading export files: rows, their line numbers, row issues and file-level errors."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newretail.core.errors import ConfigError, InputFileError
from newretail.ingest.readers import (
    BAD_JSON,
    FIELD_COUNT,
    TRUNCATED,
    RawChunk,
    RowIssue,
    detect_format,
    file_sha256,
    read_file,
    read_header,
)
from newretail.ingest.readers import text as text_module

UCI_ROWS = 541_909


# -- helpers ---------------------------------------------------------------------------------


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def read_all(path: Path, **options: Any) -> tuple[list[dict[str, Any]], list[int], list[RowIssue]]:
    """Every row (as dicts), every row's line and every issue of ``path``."""
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    issues: list[RowIssue] = []
    with read_file(path, **options) as reader:
        for chunk in reader:
            assert chunk.table.num_rows == len(chunk.lines)
            rows.extend(chunk.table.to_pylist())
            lines.extend(int(n) for n in chunk.lines)
            issues.extend(chunk.issues)
    return rows, lines, issues


def error_of(path: Path, **options: Any) -> InputFileError:
    with pytest.raises(InputFileError) as caught:
        read_all(path, **options)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return caught.value


def workbook(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


# -- CSV: encodings ------------------------------------------------------------------------


def test_utf8_file_gives_text_columns_with_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "pos.csv", "单号,数量,单价\nA1,2,3.50\nA2,,NULL\nA3,-1,4\n")

    rows, lines, issues = read_all(path)

    assert rows == [
        {"单号": "A1", "数量": "2", "单价": "3.50"},
        {"单号": "A2", "数量": None, "单价": None},
        {"单号": "A3", "数量": "-1", "单价": "4"},
    ]
    assert lines == [2, 3, 4]
    assert issues == []


def test_utf8_bom_is_dropped_from_the_first_column_name(tmp_path: Path) -> None:
    path = write(tmp_path / "excel.csv", "\ufeff门店,金额\n鼓楼店,12\n")

    with read_file(path) as reader:
        assert reader.header == ["门店", "金额"]
        assert reader.encoding == "utf-8-sig"
        assert [c.table.to_pylist() for c in reader] == [[{"门店": "鼓楼店", "金额": "12"}]]
    assert read_header(path, encoding="utf-8") == ["门店", "金额"]


def test_gb18030_file_with_chinese_headers_is_detected(tmp_path: Path) -> None:
    path = write(tmp_path / "gb.csv", "门店,商品名称\n新街口店,矿泉水\n鼓楼店,酸奶\n", "gb18030")

    with read_file(path) as reader:
        assert reader.encoding == "gb18030"
        assert reader.header == ["门店", "商品名称"]
        rows = [row for chunk in reader for row in chunk.table.to_pylist()]

    assert rows == [
        {"门店": "新街口店", "商品名称": "矿泉水"},
        {"门店": "鼓楼店", "商品名称": "酸奶"},
    ]


def test_gb18030_file_declared_utf8_is_rejected_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "gb.csv", "store,name\nS1,water\nS2,酸奶\n", "gb18030")

    error = error_of(path, encoding="utf-8")

    assert error.key == "ingest.read.decode"
    assert error.params["line"] == 3
    assert error.params["suggest"] == "gb18030"
    assert 'encoding = "gb18030"' in str(error)


def test_gb18030_text_after_the_first_megabyte_is_rejected_naming_its_line(
    tmp_path: Path,
) -> None:
    ascii_lines = "".join(f"S{i:07d},water\n" for i in range(80_000))  # ~1.1 MB of ASCII
    content = ("store,name\n" + ascii_lines).encode() + "S9,酸奶\n".encode("gb18030")
    path = write(tmp_path / "late.csv", content)

    error = error_of(path)

    assert error.key == "ingest.read.decode"
    assert error.params["line"] == 80_002


def test_file_in_no_supported_encoding_is_rejected_with_offset_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.csv", b"a,b\nx,y\n1,\x80\x80\n")

    error = error_of(path)

    assert error.key == "ingest.read.encoding"
    assert (error.params["line"], error.params["offset"], error.params["byte"]) == (3, 10, "80")


def test_utf16_export_is_rejected_with_what_to_do(tmp_path: Path) -> None:
    path = write(tmp_path / "unicode.txt", "\ufeffa\tb\r\n1\t2\r\n", "utf-16-le")

    assert error_of(path).key == "ingest.read.utf16"


# -- CSV: shape of the file ------------------------------------------------------------------


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    assert error_of(write(tmp_path / "empty.csv", b"")).key == "ingest.read.empty"


def test_header_only_file_gives_the_header_and_no_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "header.csv", "a,b,c")

    with read_file(path) as reader:
        assert reader.header == ["a", "b", "c"]
        assert list(reader) == []


def test_file_errors_read_in_chinese_too(tmp_path: Path) -> None:
    error = error_of(write(tmp_path / "empty.csv", b""))

    assert error.message("zh-CN") == f"{tmp_path / 'empty.csv'} 是空文件（0 字节）"


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nowhere.csv").key == "ingest.read.missing"


def test_repeated_column_names_are_rejected_naming_them(tmp_path: Path) -> None:
    path = write(tmp_path / "dup.csv", "sku,qty,sku,price,qty\n1,2,3,4,5\n")

    error = error_of(path)

    assert error.key == "ingest.read.duplicate_columns"
    assert error.params["names"] == "'sku', 'qty'"


def test_header_row_skips_the_title_lines_above_it(tmp_path: Path) -> None:
    path = write(tmp_path / "report.csv", "销售日报\n导出时间 2024-01-05\n单号,数量\nA1,2\n")

    rows, lines, _ = read_all(path, header_row=3)

    assert rows == [{"单号": "A1", "数量": "2"}]
    assert lines == [4]


def test_header_row_past_the_end_of_the_file_is_rejected(tmp_path: Path) -> None:
    error = error_of(write(tmp_path / "short.csv", "a,b\n1,2\n"), header_row=5)

    assert error.key == "ingest.read.no_header"
    assert error.params["lines"] == 2


def test_blank_header_cells_are_named_by_position(tmp_path: Path) -> None:
    path = write(tmp_path / "index.csv", ",sku,qty\n0,A,1\n")

    assert read_header(path) == ["column_1", "sku", "qty"]


def test_tsv_is_split_on_tabs(tmp_path: Path) -> None:
    path = write(tmp_path / "export.tsv", "a\tb\n1,5\t2\n")

    rows, _, _ = read_all(path)

    assert rows == [{"a": "1,5", "b": "2"}]


def test_gzip_compressed_csv_is_read_transparently(tmp_path: Path) -> None:
    content = "sku,qty\n" + "".join(f"P{i},{i}\n" for i in range(1000))
    path = write(tmp_path / "daily.csv.gz", gzip.compress(content.encode()))

    rows, lines, _ = read_all(path, chunk_rows=300)

    assert len(rows) == 1000
    assert rows[999] == {"sku": "P999", "qty": "999"}
    assert lines == list(range(2, 1002))


def test_damaged_gzip_is_rejected(tmp_path: Path) -> None:
    packed = gzip.compress(("sku,qty\n" + "P1,1\n" * 100_000).encode())
    path = write(tmp_path / "cut.csv.gz", packed[: len(packed) // 2])

    assert error_of(path).key == "ingest.read.corrupt"


def test_chunks_hold_at_most_chunk_rows_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "many.csv", "n\n" + "".join(f"{i}\n" for i in range(25)))

    with read_file(path, chunk_rows=10) as reader:
        sizes = [chunk.num_rows for chunk in reader]

    assert sizes == [10, 10, 5]


# -- CSV: rows that cannot be read --------------------------------------------------------


def test_row_with_wrong_field_count_is_an_issue_and_the_others_load(tmp_path: Path) -> None:
    path = write(tmp_path / "pos.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")

    rows, lines, issues = read_all(path)

    assert [r["a"] for r in rows] == ["1", "10"]
    assert lines == [2, 5]
    assert [(i.line, i.reason, i.detail, i.raw) for i in issues] == [
        (3, FIELD_COUNT, "expected 3 fields, got 2", "4,5"),
        (4, FIELD_COUNT, "expected 3 fields, got 4", "6,7,8,9"),
    ]


def test_file_cut_off_in_a_line_keeps_the_rows_before_it(tmp_path: Path) -> None:
    path = write(tmp_path / "cut.csv", "a,b,c\n1,2,3\n4,5,6\n7,8")

    rows, lines, issues = read_all(path)

    assert lines == [2, 3]
    assert len(rows) == 2
    assert [(i.line, i.reason, i.raw) for i in issues] == [(4, TRUNCATED, "7,8")]


def test_file_cut_off_inside_a_quoted_value_keeps_the_rows_before_it(tmp_path: Path) -> None:
    path = write(tmp_path / "cut.csv", 'a,b\n1,2\n3,"an unfinished\nnote')

    rows, _, issues = read_all(path)

    assert rows == [{"a": "1", "b": "2"}]
    assert [(i.line, i.reason) for i in issues] == [(3, TRUNCATED)]


def test_last_line_without_line_break_is_a_row_when_complete(tmp_path: Path) -> None:
    rows, lines, issues = read_all(write(tmp_path / "ok.csv", "a,b\n1,2\n3,4"))

    assert (rows[-1], lines, issues) == ({"a": "3", "b": "4"}, [2, 3], [])


def test_quoted_line_breaks_keep_the_lines_of_the_rows_after_them(tmp_path: Path) -> None:
    content = 'sku,note,qty\nA,"two\nlines",1\nB,"three\r\nline\nnote",2\nC,plain,3\n'
    path = write(tmp_path / "notes.csv", content)

    rows, lines, issues = read_all(path)

    assert lines == [2, 4, 7]
    assert rows[1] == {"sku": "B", "note": "three\r\nline\nnote", "qty": "2"}
    assert issues == []


def test_multi_line_notes_across_megabyte_blocks_keep_every_line_right(tmp_path: Path) -> None:
    records, expected, line = ["id,note,qty\n"], [], 2
    for i in range(60_000):
        note = f'"line one\r\nline two, {i}"' if i % 3 == 0 else f"plain {i}"
        if i % 500 == 0:
            records.append("\n")  # a blank line now and then
            line += 1
        records.append(f"{i},{note},{i % 7}\n")
        expected.append(line)
        line += records[-1].count("\n")
    path = write(tmp_path / "notes.csv", "".join(records))

    rows, lines, issues = read_all(path)

    assert lines == expected
    assert rows[59_997] == {"id": "59997", "note": "line one\r\nline two, 59997", "qty": "0"}
    assert issues == []


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = write(tmp_path / "gaps.csv", "a,b\n1,2\n\n3,4\r\n\r\n\n5,6\n\n\n")

    _, lines, issues = read_all(path)

    assert lines == [2, 4, 7]
    assert issues == []


def test_quote_inside_an_unquoted_value_is_kept_as_text(tmp_path: Path) -> None:
    rows, lines, _ = read_all(write(tmp_path / "tv.csv", 'name,qty\n55" TV,1\nradio,2\n'))

    assert rows == [{"name": '55" TV', "qty": "1"}, {"name": "radio", "qty": "2"}]
    assert lines == [2, 3]


def test_unclosed_quote_running_past_the_limit_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_module, "MAX_RECORD_BYTES", 2_000)
    monkeypatch.setattr("newretail.ingest.readers.delimited.MAX_RECORD_BYTES", 2_000)
    monkeypatch.setattr(text_module, "BLOCK_BYTES", 256)
    content = 'a,b\n1,2\n3,"never closed\n' + "x,y\n" * 2_000
    error = error_of(write(tmp_path / "runaway.csv", content))

    assert (error.key, error.params["line"]) == ("ingest.read.record_too_long", 3)


def _csv_record(cells: list[str], end: str) -> str:
    """RFC 4180: a value holding a delimiter, quote or line break is quoted."""
    quoted = [
        '"' + c.replace('"', '""') + '"' if any(x in c for x in ',"\r\n') else c for c in cells
    ]
    return ",".join(quoted) + end


cells = st.text(alphabet=st.sampled_from(["a", "中", ",", '"', "\n", "\r", " ", "-"]), max_size=5)
items = st.one_of(
    st.lists(cells, min_size=3, max_size=3),  # a record
    st.just("blank"),
    st.lists(cells, min_size=2, max_size=2).map(lambda c: ("bad", c)),  # one field short
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(items, max_size=30),
    crlf=st.booleans(),
    final_break=st.booleans(),
    block=st.sampled_from([16, 61, 200, 4096]),
)
def test_rows_lines_and_issues_match_the_records_wherever_blocks_are_cut(
    tmp_path_factory: pytest.TempPathFactory,
    items: list[Any],
    crlf: bool,
    final_break: bool,
    block: int,
) -> None:
    end = "\r\n" if crlf else "\n"
    content = "x,y,z" + end
    expected_rows, expected_lines, expected_issues = [], [], []
    line = 2
    for item in items:
        if item == "blank":
            written = end
        elif isinstance(item, tuple):
            written = _csv_record(item[1], end)
            expected_issues.append((line, FIELD_COUNT))
        else:
            written = _csv_record(item, end)
            expected_rows.append(dict(zip("xyz", [v or None for v in item], strict=True)))
            expected_lines.append(line)
        content += written
        line += written.count("\n")
    if not final_break and items and isinstance(items[-1], list):
        content = content.removesuffix(end)
    path = tmp_path_factory.mktemp("csv") / "generated.csv"
    write(path, content)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(text_module, "BLOCK_BYTES", block)
        rows, lines, issues = read_all(path, null_values=[""], chunk_rows=7)

    assert rows == expected_rows
    assert lines == expected_lines
    assert [(i.line, i.reason) for i in issues] == expected_issues


# -- format checks ---------------------------------------------------------------------------


def test_xlsx_that_is_really_csv_text_is_rejected(tmp_path: Path) -> None:
    error = error_of(write(tmp_path / "sales.xlsx", "a,b\n1,2\n"))

    assert error.key == "ingest.read.wrong_format.text"
    assert error.params["claimed"] == "Excel .xlsx (.xlsx)"


def test_html_error_page_saved_as_xlsx_is_rejected(tmp_path: Path) -> None:
    page = "<!DOCTYPE html><html><body>Session expired</body></html>"

    assert error_of(write(tmp_path / "sales.xlsx", page)).key == "ingest.read.wrong_format.html"


def test_parquet_that_is_really_csv_is_rejected(tmp_path: Path) -> None:
    error = error_of(write(tmp_path / "sales.parquet", "a,b\n1,2\n"))

    assert error.key == "ingest.read.wrong_format.text"
    assert "Parquet (.parquet)" in str(error)


def test_csv_that_is_really_a_workbook_is_rejected(tmp_path: Path) -> None:
    book = workbook(tmp_path / "book.xlsx", {"s": [["a"], [1]]})
    path = write(tmp_path / "sales.csv", book.read_bytes())

    assert error_of(path).key == "ingest.read.wrong_format.zip"


def test_declared_format_wins_over_the_extension_when_the_content_agrees(tmp_path: Path) -> None:
    path = write(tmp_path / "erp_export.xls", "a,b\n1,2\n")

    assert detect_format(path, "csv") == "csv"
    assert read_all(path, format="csv")[0] == [{"a": "1", "b": "2"}]


def test_unknown_extension_without_a_declared_format_is_rejected(tmp_path: Path) -> None:
    assert error_of(write(tmp_path / "export.dat", "a\n1\n")).key == "ingest.read.unknown_extension"


def test_legacy_xls_workbook_is_rejected_with_what_to_do(tmp_path: Path) -> None:
    path = write(tmp_path / "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))

    assert error_of(path).key == "ingest.read.xls"


def test_unknown_format_or_encoding_names_are_configuration_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "a\n1\n")

    with pytest.raises(ConfigError, match="xml"):
        read_file(path, format="xml")
    with pytest.raises(ConfigError, match="latin-1"):
        read_file(path, encoding="latin-1")


def test_file_sha256_is_the_digest_of_the_stored_bytes(tmp_path: Path) -> None:
    content = os.urandom(3_000_000)
    path = write(tmp_path / "blob.csv.gz", content)

    assert file_sha256(path) == hashlib.sha256(content).hexdigest()


# -- Excel -----------------------------------------------------------------------------------


def test_single_sheet_workbook_shows_values_as_people_see_them(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "crm.xlsx",
        {
            "会员": [
                ["会员号", "积分", "余额", "生日", "注册时间", "有效"],
                [1001, 250, 12.5, dt.date(1990, 5, 1), dt.datetime(2024, 1, 5, 8, 30), True],
                [1002, 3.0, 0.1 + 0.2, None, dt.datetime(2024, 1, 6, 0, 0), False],
            ]
        },
    )

    with read_file(path) as reader:
        assert reader.sheet == "会员"
        rows = [row for chunk in reader for row in chunk.table.to_pylist()]

    assert rows == [
        {
            "会员号": "1001",
            "积分": "250",
            "余额": "12.5",
            "生日": "1990-05-01",
            "注册时间": "2024-01-05 08:30:00",
            "有效": "true",
        },
        {
            "会员号": "1002",
            "积分": "3",
            "余额": "0.3",
            "生日": None,
            "注册时间": "2024-01-06",
            "有效": "false",
        },
    ]


def test_workbook_with_several_sheets_and_no_choice_is_rejected_listing_them(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path / "book.xlsx", {"说明": [["x"]], "销售明细": [["a"], [1]]})

    error = error_of(path)

    assert error.key == "ingest.read.several_sheets"
    assert error.params["sheets"] == "'说明', '销售明细'"
    assert "--sheet" in str(error)


@pytest.mark.parametrize("sheet", ["销售明细", 2, "2"])
def test_sheet_is_chosen_by_name_or_position(tmp_path: Path, sheet: str | int) -> None:
    path = workbook(tmp_path / "book.xlsx", {"说明": [["x"]], "销售明细": [["a"], [1]]})

    assert read_all(path, sheet=sheet)[0] == [{"a": "1"}]


def test_unknown_sheet_is_rejected_listing_the_sheets(tmp_path: Path) -> None:
    path = workbook(tmp_path / "book.xlsx", {"说明": [["x"]], "销售明细": [["a"], [1]]})

    error = error_of(path, sheet="Sheet1")

    assert error.key == "ingest.read.unknown_sheet"
    assert "'说明', '销售明细'" in str(error)


def test_empty_sheet_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "gaps.xlsx",
        {
            "s": [
                ["报表"],
                [],
                ["sku", "qty"],
                ["A", 1],
                [None, None],
                ["B", 2],
                [],
                ["C", None, "note"],
            ]
        },
    )

    rows, lines, issues = read_all(path, header_row=3)

    assert rows == [{"sku": "A", "qty": "1"}, {"sku": "B", "qty": "2"}]
    assert lines == [4, 6]
    assert [(i.line, i.reason, i.detail) for i in issues] == [
        (8, FIELD_COUNT, "expected 2 fields, got 3")
    ]


def test_damaged_workbook_is_rejected(tmp_path: Path) -> None:
    book = workbook(tmp_path / "book.xlsx", {"s": [["a"], [1]]}).read_bytes()
    path = write(tmp_path / "damaged.xlsx", book[: len(book) // 2])

    assert error_of(path).key == "ingest.read.corrupt"


# -- Parquet ---------------------------------------------------------------------------------


def test_parquet_keeps_its_types_and_numbers_rows_from_one(tmp_path: Path) -> None:
    table = pa.table(
        {
            "sku": ["A", "B", None, "D", "E"],
            "qty": pa.array([1, -2, 3, 4, 5], pa.int64()),
            "price": [1.5, 2.0, 3.25, None, 0.0],
            "at": pa.array(
                [dt.datetime(2024, 1, d, 8) for d in range(1, 6)], pa.timestamp("us", tz="UTC")
            ),
        }
    )
    path = tmp_path / "native.parquet"
    pq.write_table(table, path, row_group_size=2)

    with read_file(path, chunk_rows=2) as reader:
        assert reader.header == ["sku", "qty", "price", "at"]
        chunks = list(reader)

    assert pa.concat_tables(c.table for c in chunks).equals(table)
    assert np.concatenate([c.lines for c in chunks]).tolist() == [1, 2, 3, 4, 5]


def test_damaged_parquet_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.parquet", b"PAR1" + os.urandom(200))

    assert error_of(path).key == "ingest.read.corrupt"


# -- JSON Lines ------------------------------------------------------------------------------


def test_json_lines_malformed_line_is_an_issue_and_keys_are_united(tmp_path: Path) -> None:
    lines = [
        {"order": "O1", "qty": 2, "paid": True},
        '{"order": "O2", "qty": ',
        "",
        {"order": "O3", "items": [{"sku": "A"}], "note": "加急"},
        "[1, 2]",
        {"order": "O4", "qty": 1.5, "paid": None},
    ]
    text = "\n".join(
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    )
    path = write(tmp_path / "orders.jsonl", text + "\n")

    with read_file(path) as reader:
        assert reader.header == ["order", "qty", "paid", "items", "note"]
        chunks = list(reader)
    rows = [row for chunk in chunks for row in chunk.table.to_pylist()]
    issues = [i for chunk in chunks for i in chunk.issues]

    assert rows == [
        {"order": "O1", "qty": "2", "paid": "true", "items": None, "note": None},
        {"order": "O3", "qty": None, "paid": None, "items": '[{"sku":"A"}]', "note": "加急"},
        {"order": "O4", "qty": "1.5", "paid": None, "items": None, "note": None},
    ]
    assert chunks[0].lines.tolist() == [1, 4, 6]
    assert [(i.line, i.reason) for i in issues] == [(2, BAD_JSON), (5, BAD_JSON)]


def test_json_array_file_named_jsonl_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path / "orders.jsonl", '[{"order": "O1"}]')

    assert error_of(path).key == "ingest.read.wrong_format.jsonl"


# -- size and speed --------------------------------------------------------------------------

_MEASURE = textwrap.dedent("""
    import resource, sys
    from newretail.ingest.readers import read_file
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = 0
    with read_file(sys.argv[1], chunk_rows=20_000) as reader:
        for chunk in reader:
            rows += chunk.num_rows
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(rows, (after - before) * 1024)
""")


def test_memory_stays_bounded_on_a_large_file(tmp_path: Path) -> None:
    block = "".join(
        f'{i},SKU{i % 9973:05d},"Widget, size {i % 7}",{i % 13},2024-01-05 08:{i % 60:02d}:00,'
        f"12.50,C{i:06d},门店{i % 50}\n"
        for i in range(10_000)
    ).encode()
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.write(b"id,sku,name,qty,ts,price,customer,store\n")
        for _ in range(120):
            handle.write(block)
    size = path.stat().st_size

    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    rows, growth = map(int, done.stdout.split())

    assert rows == 1_200_000
    # a reader holding the file would grow by more than its size; chunks stay a few MB
    assert growth < size / 2, f"peak RSS grew {growth >> 20} MB reading {size >> 20} MB"


def test_uci_online_retail_reads_every_row_with_its_line(data_dir: Path) -> None:
    path = data_dir / "uci_online_retail" / "online_retail.csv.gz"
    rows = 0
    last: RawChunk | None = None
    with read_file(path) as reader:
        assert reader.header[:4] == ["InvoiceNo", "StockCode", "Description", "Quantity"]
        for chunk in reader:
            assert chunk.issues == ()
            rows += chunk.num_rows
            last = chunk

    assert rows == UCI_ROWS
    assert last is not None and int(last.lines[-1]) == UCI_ROWS + 1
