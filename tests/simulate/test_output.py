"""What a run writes: the folder layout, the manifest, determinism, and no half output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from tests.simulate.conftest import LoadedRun

from newretail.ingest.mapping import load_mapping
from newretail.simulate import SimulationError, preset, simulate
from newretail.simulate.layout import SOURCES, read_manifest

DIMENSIONS = {
    "chain_channels",
    "chain_stores",
    "chain_categories",
    "chain_suppliers",
    "chain_products",
    "chain_members",
    "chain_promotions",
}


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_and_options_give_byte_identical_output(tmp_path: Path) -> None:
    config = preset("small", days=21)
    simulate(config, tmp_path / "a")
    simulate(config, tmp_path / "b")
    first, second = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert first == second
    assert any(name.endswith(".xlsx") for name in first)
    assert any(name.endswith(".parquet") for name in first)


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    simulate(preset("small", days=7), tmp_path / "a")
    simulate(preset("small", days=7, seed=1), tmp_path / "b")
    a = (tmp_path / "a" / "exports" / "pos" / "S001" / "2024-01.csv").read_bytes()
    b = (tmp_path / "b" / "exports" / "pos" / "S001" / "2024-01.csv").read_bytes()
    assert a != b


def test_output_folder_that_is_not_empty_is_refused_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(SimulationError) as caught:
        simulate(preset("small", days=3), out)
    assert caught.value.key == "simulate.out_not_empty"
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_a_failed_run_leaves_no_output(tmp_path: Path) -> None:
    def stop(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(preset("small", days=5), tmp_path / "out", on_progress=stop)
    assert list(tmp_path.iterdir()) == []


def test_manifest_lists_every_export_with_an_existing_mapping_dimensions_first(
    small: LoadedRun,
) -> None:
    files = read_manifest(small.out)
    on_disk = {p for p in (small.out / "exports").rglob("*") if p.is_file()}
    assert {f.path for f in files} == on_disk
    order = [SOURCES.index(f.source) for f in files]
    assert order == sorted(order)
    last_dimension = max(i for i, f in enumerate(files) if f.source in DIMENSIONS)
    first_fact = min(i for i, f in enumerate(files) if f.source not in DIMENSIONS)
    assert last_dimension < first_fact
    for source in {f.source for f in files}:
        assert load_mapping(source).source.name == source
    manifest = json.loads((small.out / "manifest.json").read_text("utf-8"))
    assert manifest["config"]["stores"] == 3
    assert manifest["counts"]["order_lines"] > 10_000


def test_pos_files_come_one_per_store_and_month_some_in_gb18030(small: LoadedRun) -> None:
    pos = sorted((small.out / "exports" / "pos").rglob("*.csv"))
    assert {p.parent.name for p in pos} == {"S001", "S002"}  # S003 is a forward warehouse
    assert {p.stem for p in pos} == {"2024-01", "2024-02", "2024-03", "2024-04"}
    gb = (small.out / "exports" / "pos" / "S002" / "2024-02.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    header = gb.decode("gb18030").splitlines()[0]
    assert header.startswith("门店编码,门店名称,营业日期,单号,行号,交易时间")
    assert "2024/02/01" in gb.decode("gb18030")


def test_member_workbook_opens_in_a_spreadsheet_reader(small: LoadedRun) -> None:
    book = openpyxl.load_workbook(small.out / "exports" / "members.xlsx", read_only=True)
    sheet = book["会员资料"]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    assert rows[0][:4] == ("会员卡号", "注册时间", "注册渠道", "生日")
    assert len(rows) == 1 + 1_000
    assert rows[1][0] == "M00000000"


def test_ground_truth_is_kept_apart_from_the_exports(small: LoadedRun) -> None:
    truth = {p.name for p in (small.out / "truth").rglob("*.parquet")}
    assert {
        "members.parquet",
        "promotions.parquet",
        "calendar.parquet",
        "traffic.parquet",
        "category_effects.parquet",
        "orders.parquet",
        "dirt.parquet",
    } <= truth
    members = pq.read_table(small.out / "truth" / "members.parquet")
    assert {
        "purchase_rate",
        "dropout_probability",
        "alive_at_end",
        "price_sensitivity",
        "life_stage",
    } <= set(members.column_names)
    assert not any((small.out / "exports").rglob("*.parquet"))
