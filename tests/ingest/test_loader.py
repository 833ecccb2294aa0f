"""Loading export files end to end: map, validate, quarantine, commit, reload, correct, retry."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from newretail.cli.main import build_app
from newretail.core.errors import Conflict
from newretail.core.settings import configure, get_settings
from newretail.ingest.loader import LoadReport, load_files
from newretail.ingest.quarantine import describe
from newretail.ingest.retry import discard_quarantine, list_quarantine, retry_quarantine
from newretail.lake import Lake, SourceFile
from newretail.lake.engine import connect

HEADER = "单号,行号,交易时间,门店,会员,商品编码,数量,单价,实收金额,退货"

MAPPING = """\
[source]
name = "pos_test"
format = "csv"
encoding = "{encoding}"
timezone = "Asia/Shanghai"
replace_scope = ["store_id", "business_date"]

[[tables]]
table = "channels"
mode = "insert_missing"
distinct = true
[tables.columns]
channel_id = {{ const = "pos" }}
name = {{ const = "门店收银" }}
kind = {{ const = "store_pos" }}

[[tables]]
table = "orders"
distinct = true
[tables.columns]
order_id = "单号"
ordered_at = {{ column = "交易时间", format = "{fmt}" }}
business_date = {{ from = "ordered_at" }}
channel_id = {{ const = "pos" }}
store_id = "门店"
member_id = "会员"
status = {{ const = "completed" }}
fulfilment = {{ const = "in_store" }}

[[tables]]
table = "order_lines"
[tables.columns]
order_id = "单号"
line_no = "行号"
business_date = {{ column = "交易时间", format = "{fmt}" }}
sku_id = "商品编码"
store_id = "门店"
member_id = "会员"
channel_id = {{ const = "pos" }}
quantity = "数量"
unit_price = {{ column = "单价", unit = "yuan" }}
net_amount = {{ column = "实收金额", unit = "yuan" }}
is_return = {{ column = "退货", map = {{ "是" = true, "否" = false }}, default = false }}
"""


def write_mapping(
    folder: Path, *, encoding: str = "utf-8", fmt: str = "%Y-%m-%d %H:%M:%S", name: str = "pos_test"
) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(MAPPING.format(encoding=encoding, fmt=fmt), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[str], *, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
    return path


@pytest.fixture
def lake(newretail_home: Path) -> Lake:
    """A lake that knows two stores, three products and one member."""
    lake = Lake.from_settings()
    with lake.begin(source="master_data", files=[SourceFile("master.csv", "m" * 64, 1)]) as tx:
        tx.upsert(
            "stores",
            pa.table(
                {
                    "store_id": ["S001", "S002"],
                    "name": ["鼓楼店", "新街口店"],
                    "store_type": ["community", "flagship"],
                    "_line": [2, 3],
                }
            ),
        )
        tx.upsert(
            "products",
            pa.table(
                {"sku_id": ["P1", "P2", "P3"], "name": ["牛奶", "面包", "苹果"], "_line": [2, 3, 4]}
            ),
        )
        tx.upsert("members", pa.table({"member_id": ["M1"], "_line": [2]}))
        tx.commit(
            period=None, rows_read=6, rows_loaded=6, rows_quarantined=0, quarantine_reasons={}
        )
    return lake


@pytest.fixture
def mapping(newretail_home: Path) -> Path:
    folder = newretail_home / "mappings"
    folder.mkdir(parents=True, exist_ok=True)
    return write_mapping(folder)


def rows_of(table: str) -> list[dict[str, object]]:
    con = connect(Lake.from_settings())
    rows: list[dict[str, object]] = con.table(table).to_pyarrow().to_pylist()
    return rows


def load(*paths: Path, source: str = "pos_test") -> LoadReport:
    return load_files(list(paths), source=source)


GOOD = [
    "A1,1,2024-06-18 09:15:00,S001,M1,P1,2,6.50,13.00,否",
    "A1,2,2024-06-18 09:15:00,S001,M1,P2,1,8.00,8.00,否",
    "A2,1,2024-06-18 23:50:00,S001,,P3,3,2.00,6.00,否",
]


def test_a_good_file_loads_every_row_into_every_table(
    lake: Lake, mapping: Path, tmp_path: Path
) -> None:
    report = load(write_csv(tmp_path / "pos-S001-0618.csv", GOOD))

    file = report.files[0]
    assert (file.status, file.rows_read, file.rows_loaded, file.rows_quarantined) == (
        "loaded",
        3,
        3,
        0,
    )
    assert report.exit_code == 0
    lines = sorted(rows_of("order_lines"), key=lambda r: (r["order_id"], r["line_no"]))
    assert [(r["order_id"], r["line_no"], r["net_amount"]) for r in lines] == [
        ("A1", 1, 1300),
        ("A1", 2, 800),
        ("A2", 1, 600),
    ]
    assert lines[0]["_load_id"] == file.load_id and lines[0]["_line"] == 2
    orders = {r["order_id"]: r for r in rows_of("orders")}
    assert set(orders) == {"A1", "A2"}
    assert orders["A2"]["member_id"] is None  # a guest
    # 23:50 in Shanghai is still the 18th locally, 15:50 UTC
    assert orders["A2"]["business_date"] == date(2024, 6, 18)


def test_loading_the_same_file_again_changes_nothing_and_says_so(
    lake: Lake, mapping: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "pos.csv", GOOD)
    load(path)
    version = lake.snapshot().version

    again = load(path)

    assert again.files[0].status == "unchanged"
    assert lake.snapshot().version == version
    assert len(rows_of("order_lines")) == 3


def test_a_corrected_file_replaces_its_store_and_day_and_never_double_counts(
    lake: Lake, mapping: Path, tmp_path: Path
) -> None:
    other_store = ["B1,1,2024-06-18 10:00:00,S002,,P1,1,6.50,6.50,否"]
    load(
        write_csv(tmp_path / "pos-S001.csv", GOOD),
        write_csv(tmp_path / "pos-S002.csv", other_store),
    )
    corrected = [GOOD[0], "A2,1,2024-06-18 23:50:00,S001,,P3,2,2.00,4.00,否"]

    report = load(write_csv(tmp_path / "pos-S001-fixed.csv", corrected))

    assert report.files[0].status == "loaded"
    assert report.files[0].rows_quarantined == 0  # a correction is not a duplicate
    assert report.files[0].replaced == {"order_lines": 3, "orders": 2}
    lines = {
        (r["store_id"], r["order_id"], r["line_no"]): r["quantity"] for r in rows_of("order_lines")
    }
    assert lines == {("S001", "A1", 1): 2, ("S001", "A2", 1): 2, ("S002", "B1", 1): 1}
    assert sorted(r["order_id"] for r in rows_of("orders")) == ["A1", "A2", "B1"]


def test_bad_rows_are_quarantined_with_line_and_field_and_good_rows_load(
    lake: Lake, mapping: Path, tmp_path: Path
) -> None:
    rows = [
        GOOD[0],  # line 2: good
        "A3,1,2024-13-45 09:00:00,S001,,P1,1,6.50,6.50,否",  # 3: unparseable date
        "A4,1,2024-06-18 09:00:00,S001,,P1,two,6.50,6.50,否",  # 4: unparseable number
        "A5,1,2024-06-18 09:00:00,S001,,P1,-1,6.50,-6.50,否",  # 5: negative, not a return
        "A6,1,2024-06-18 09:00:00,S001,,P1,-1,6.50,-6.50,是",  # 6: a return: allowed
        "A7,1,2024-06-18 09:00:00,S999,,P1,1,6.50,6.50,否",  # 7: unknown store
        "A8,1,2024-06-18 09:00:00,S001,,P404,1,6.50,6.50,否",  # 8: unknown SKU
        GOOD[0],  # 9: the same line twice
    ]
    report = load(write_csv(tmp_path / "pos.csv", rows))

    file = report.files[0]
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (8, 2, 6)
    problems = {
        (p["line"], p["column"], p["reason"])
        for p in describe(get_settings().quarantine_dir, str(file.load_id))
    }
    assert (3, "ordered_at", "ingest.reason.bad_timestamp") in problems
    assert (4, "quantity", "ingest.reason.bad_number") in problems
    assert (5, "quantity", "ingest.reason.negative_without_return") in problems
    assert (7, "store_id", "ingest.reason.unknown_reference") in problems
    assert (8, "sku_id", "ingest.reason.unknown_reference") in problems
    assert any(
        line == 9 and reason == "ingest.reason.duplicate_in_file" for line, _, reason in problems
    )
    assert not any(line in (2, 6) for line, _, _ in problems)
    assert sorted(r["order_id"] for r in rows_of("order_lines")) == ["A1", "A6"]
    # a rejected row is rejected from every table: no order header without its line
    assert sorted(r["order_id"] for r in rows_of("orders")) == ["A1", "A6"]


def test_the_same_line_from_another_scope_is_a_duplicate_of_the_lake(
    lake: Lake, mapping: Path, tmp_path: Path
) -> None:
    load(write_csv(tmp_path / "pos-S001.csv", GOOD))
    clash = ["A1,1,2024-06-18 09:15:00,S002,,P1,2,6.50,13.00,否"]  # another store's file

    report = load(write_csv(tmp_path / "pos-S002.csv", clash))

    assert report.files[0].reasons == {"ingest.reason.duplicate_in_lake": 1}
    assert len(rows_of("order_lines")) == 3


def test_a_gb18030_file_declared_utf8_is_rejected_whole_naming_the_line(
    lake: Lake, newretail_home: Path, tmp_path: Path
) -> None:
    folder = newretail_home / "mappings"
    folder.mkdir(parents=True)
    write_mapping(folder, encoding="utf-8")
    path = write_csv(tmp_path / "pos-gbk.csv", GOOD, encoding="gb18030")

    report = load(path)

    assert report.files[0].status == "rejected" and report.exit_code == 1
    message = report.files[0].error.message("en") if report.files[0].error else ""
    assert "pos-gbk.csv" in message and "line" in message
    assert rows_of("order_lines") == []


def test_a_gb18030_file_loads_with_automatic_detection(
    lake: Lake, newretail_home: Path, tmp_path: Path
) -> None:
    folder = newretail_home / "mappings"
    folder.mkdir(parents=True)
    write_mapping(folder, encoding="auto")

    report = load(write_csv(tmp_path / "pos-gbk.csv", GOOD, encoding="gb18030"))

    assert report.files[0].rows_loaded == 3
    assert {r["name"] for r in rows_of("channels")} == {"门店收银"}


def test_a_missing_column_rejects_the_file_naming_column_and_mapping(
    lake: Lake, mapping: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pos.csv"
    path.write_text(
        HEADER.replace(",实收金额", "") + "\nA1,1,2024-06-18 09:15:00,S001,M1,P1,2,6.50,否\n",
        encoding="utf-8",
    )

    report = load(path)

    message = report.files[0].error.message("en") if report.files[0].error else ""
    assert report.files[0].status == "rejected"
    assert "实收金额" in message and "pos_test.toml" in message


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.csv", b""), ("not-a-workbook.xlsx", b"<html><body>error</body></html>")],
)
def test_an_empty_file_or_one_that_is_not_what_it_claims_is_rejected(
    lake: Lake, mapping: Path, tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    report = load(path)

    assert report.files[0].status == "rejected" and report.exit_code == 1
    assert name in (report.files[0].error.message("en") if report.files[0].error else "")


def test_a_file_cut_off_mid_line_keeps_the_rows_before_the_cut(
    lake: Lake, mapping: Path, tmp_path: Path
) -> None:
    path = tmp_path / "cut.csv"
    path.write_text("\n".join([HEADER, *GOOD]) + "\nA9,1,2024-06-18 09", encoding="utf-8")

    report = load(path)

    file = report.files[0]
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (4, 3, 1)
    assert file.reasons == {"ingest.read.truncated": 1}


def test_a_workbook_with_several_sheets_needs_the_sheet_named(
    lake: Lake, newretail_home: Path, tmp_path: Path
) -> None:
    folder = newretail_home / "mappings"
    folder.mkdir(parents=True)
    text = MAPPING.format(encoding="auto", fmt="%Y-%m-%d %H:%M:%S").replace(
        'format = "csv"', 'format = "excel"'
    )
    (folder / "pos_test.toml").write_text(text, encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表为门店销售明细"])
    sales = book.create_sheet("销售明细")
    sales.append(HEADER.split(","))
    for row in GOOD:
        sales.append(row.split(","))
    path = tmp_path / "pos.xlsx"
    book.save(path)

    refused = load(path)
    chosen = load_files([path], source="pos_test", sheet="销售明细")

    message = refused.files[0].error.message("en") if refused.files[0].error else ""
    assert refused.files[0].status == "rejected" and "销售明细" in message and "说明" in message
    assert chosen.files[0].rows_loaded == 3


def test_quarantined_rows_load_after_the_mapping_is_fixed_and_only_once(
    lake: Lake, newretail_home: Path, tmp_path: Path
) -> None:
    folder = newretail_home / "mappings"
    folder.mkdir(parents=True)
    write_mapping(folder, fmt="%Y/%m/%d %H:%M:%S")  # the export writes dashes
    first = load(write_csv(tmp_path / "pos.csv", GOOD)).files[0]
    assert (first.rows_loaded, first.rows_quarantined) == (0, 3)
    assert [b["status"] for b in list_quarantine()] == ["open"]

    write_mapping(folder, fmt="%Y-%m-%d %H:%M:%S")
    retried = retry_quarantine(str(first.load_id)).files[0]

    assert (retried.rows_loaded, retried.rows_quarantined) == (3, 0)
    assert len(rows_of("order_lines")) == 3
    batch = list_quarantine()[0]
    assert (batch["status"], batch["retried_by"]) == ("retried", retried.load_id)
    with pytest.raises(Conflict):
        retry_quarantine(str(first.load_id))
    assert len(rows_of("order_lines")) == 3


def test_a_retry_never_adds_a_row_that_is_already_loaded(
    lake: Lake, mapping: Path, tmp_path: Path
) -> None:
    report = load(write_csv(tmp_path / "pos.csv", [*GOOD, GOOD[0]])).files[0]
    assert report.reasons == {"ingest.reason.duplicate_in_file": 1}

    retried = retry_quarantine(str(report.load_id)).files[0]

    assert retried.reasons == {"ingest.reason.duplicate_in_lake": 1}
    assert len(rows_of("order_lines")) == 3


def test_a_discarded_batch_cannot_be_retried(lake: Lake, mapping: Path, tmp_path: Path) -> None:
    report = load(write_csv(tmp_path / "pos.csv", [*GOOD, GOOD[0]])).files[0]

    discard_quarantine(str(report.load_id))

    assert list_quarantine()[0]["status"] == "discarded"
    with pytest.raises(Conflict):
        retry_quarantine(str(report.load_id))


@pytest.mark.postgres
def test_quarantine_states_live_in_a_postgresql_ops_db(
    lake: Lake, mapping: Path, tmp_path: Path, ops_url: str
) -> None:
    configure(ops_db_url=ops_url)
    report = load(write_csv(tmp_path / "pos.csv", [*GOOD, GOOD[0]])).files[0]

    discard_quarantine(str(report.load_id))

    assert list_quarantine()[0]["status"] == "discarded"


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), ["--lang", "en", *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_the_cli_prints_the_summary_and_json_for_scripts(
    lake: Lake, mapping: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "pos.csv", [*GOOD, GOOD[0]])

    code, output = run_cli("load", "--source", "pos_test", "--json", str(path))

    assert code == 0
    payload = json.loads(output)
    assert payload["files"][0]["rows_loaded"] == 3
    assert payload["files"][0]["reasons"] == {"ingest.reason.duplicate_in_file": 1}
    code, output = run_cli("load", "--source", "pos_test", str(path))
    assert code == 0 and "already loaded" in output
    code, output = run_cli("quarantine", "show", payload["files"][0]["load_id"])
    assert code == 0 and "earlier in this load" in output


def test_user_errors_print_one_line_and_no_traceback(
    lake: Lake, newretail_home: Path, tmp_path: Path
) -> None:
    folder = newretail_home / "mappings"
    folder.mkdir(parents=True)
    (folder / "typo.toml").write_text(
        '[source]\nname = "typo"\n\n[[tables]]\ntable = "orders"\n[tables.colums]\n'
        'order_id = "单号"\n',
        encoding="utf-8",
    )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    results = [
        run_cli("load", "--source", "typo", str(empty)),
        run_cli("load", "--source", "no_such_mapping", str(empty)),
        run_cli("quarantine", "show", "no-such-load"),
        run_cli("import", "no-such-set", str(tmp_path)),
    ]

    for code, output in results:
        assert code == 1
        assert "Traceback" not in output
    typo = results[0][1]
    assert "colums" in typo and "line 6" in typo and "columns" in typo
