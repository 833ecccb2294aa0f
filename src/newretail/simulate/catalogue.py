"""Goods (货): the category tree, the SKUs and the suppliers who deliver them.

The tree and the behaviour of each leaf category (prices, shelf life, seasonality, weather
and festival sensitivity, elasticity) are data (``data/catalogue.toml``); SKUs are drawn
from it: brand × product × pack spec, with prices ending in .9, a long-tailed popularity
and a few launches and delistings during the simulated period.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from newretail.simulate.config import SimulationConfig
from newretail.simulate.rng import SETUP, BoolArray, FloatArray, IntArray, Stream, rng

_EN_SPEC = (
    ("礼盒", "gift box"),
    ("单个", "single"),
    ("盒装", "boxed"),
    ("袋装", "bagged"),
    ("单包", "single pack"),
    ("连包", "-pack"),
    ("桶装", "cup"),
    ("家庭装", "family pack"),
    ("分享装", "sharing pack"),
    ("单支", "single"),
    ("单瓶", "bottle"),
    ("箱装", "case"),
    ("枚装", " pieces"),
    ("枚", " eggs"),
    ("3层×10包", "3-ply x10"),
    ("袋", " bags"),
    ("×", "x"),
    ("散装称重", "loose, by weight"),
)
# variants of a brand × product × spec when a leaf has more SKUs than combinations
_VARIANTS = (
    ("", ""),
    (" 升级装", " upgraded"),
    (" 特惠装", " value pack"),
    (" 精选", " select"),
    (" 组合装", " combo"),
    (" 新版", " new edition"),
    (" 加量装", " bonus size"),
    (" 家庭装", " family size"),
    (" 便携装", " travel size"),
)
_SUPPLIER_WORDS = (
    "鑫源",
    "恒丰",
    "盛达",
    "佳禾",
    "联丰",
    "华润",
    "永辉",
    "金桥",
    "宏达",
    "东海",
    "申通",
    "沪鲜",
    "万家",
    "康达",
    "源丰",
    "利群",
)
_SUPPLIER_TRADES = {
    "10": ("农产品", "agricultural products"),
    "20": ("乳业", "dairy"),
    "30": ("冷链食品", "cold-chain foods"),
    "40": ("食品", "foods"),
    "50": ("饮品", "beverages"),
    "60": ("粮油", "grain and oil"),
    "70": ("日用品", "household goods"),
    "80": ("母婴用品", "baby products"),
}


@lru_cache(maxsize=1)
def catalogue_data() -> dict[str, Any]:
    """The catalogue file (``data/catalogue.toml``)."""
    path = resources.files("newretail.simulate") / "data" / "catalogue.toml"
    return tomllib.loads(path.read_text("utf-8"))


@dataclass(frozen=True)
class Leaves:
    """Leaf categories: the behaviour of each, index = leaf number."""

    ids: list[str]
    top: list[str]
    share: FloatArray
    temp: FloatArray
    rain: FloatArray
    online: FloatArray
    convenience: BoolArray
    baby: BoolArray
    festivals: list[dict[str, float]]
    outside: FloatArray

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Suppliers:
    """Suppliers and how reliably they deliver, index = supplier number."""

    ids: list[str]
    names: list[str]
    lead_days: IntArray
    order_days: list[tuple[int, ...]]
    late_rate: FloatArray
    short_rate: FloatArray
    min_order_fen: IntArray
    is_vmi: BoolArray

    @property
    def count(self) -> int:
        return len(self.ids)

    def orders_on(self, weekday: int) -> BoolArray:
        """Which suppliers take orders on ``weekday`` (1 = Monday)."""
        return np.array([weekday in days for days in self.order_days], dtype=bool)


@dataclass(frozen=True)
class Products:
    """The SKUs, index = SKU number. Money is in fen, days relative to the first day."""

    ids: list[str]
    names: list[str]
    names_en: list[str]
    leaf: IntArray
    brands: list[str]
    private: BoolArray
    tier: IntArray  # 0 economy, 1 standard, 2 premium
    weighed: BoolArray
    pack: IntArray
    price: IntArray
    cost: IntArray
    shelf_life: IntArray
    fresh: BoolArray
    supplier: IntArray
    barcodes: list[str]
    launch_day: IntArray
    delist_day: IntArray
    popularity: FloatArray
    elasticity: FloatArray
    units: list[str]

    @property
    def count(self) -> int:
        return len(self.ids)

    def launched_on(self, start: date) -> list[date]:
        return [start + timedelta(days=int(d)) for d in self.launch_day]


@dataclass(frozen=True)
class Catalogue:
    leaves: Leaves
    products: Products
    suppliers: Suppliers


def build_catalogue(config: SimulationConfig) -> Catalogue:
    """The category tree, ``config.skus`` products and their suppliers."""
    data = catalogue_data()
    gen = rng(config.seed, SETUP, Stream.CATALOGUE)
    raw = data["leaf"]
    leaves = _leaves(data)
    counts = _allocate(config.skus, np.array([leaf["breadth"] for leaf in raw]))
    parts = [_leaf_skus(raw[i], i, int(counts[i]), gen) for i in range(len(raw))]
    columns = {key: [v for part in parts for v in part[key]] for key in parts[0]}
    suppliers, supplier_of = _suppliers(data, leaves, np.array(columns["leaf"]), gen)
    products = _products(config, leaves, columns, supplier_of, gen)
    return Catalogue(leaves=leaves, products=products, suppliers=suppliers)


def _leaves(data: dict[str, Any]) -> Leaves:
    raw = data["leaf"]
    mids = {m["id"]: m["top"] for m in data["mid"]}
    share = np.array([leaf["share"] for leaf in raw])
    return Leaves(
        ids=[leaf["id"] for leaf in raw],
        top=[mids[leaf["mid"]] for leaf in raw],
        share=share / share.sum(),
        temp=np.array([leaf["temp"] for leaf in raw], dtype=np.float64),
        rain=np.array([leaf["rain"] for leaf in raw], dtype=np.float64),
        online=np.array([leaf["online"] for leaf in raw], dtype=np.float64),
        convenience=np.array([leaf["convenience"] for leaf in raw], dtype=bool),
        baby=np.array([leaf.get("baby", False) for leaf in raw], dtype=bool),
        festivals=[dict(leaf.get("festivals", {})) for leaf in raw],
        outside=np.array([leaf.get("outside", 1.0) for leaf in raw], dtype=np.float64),
    )


def _allocate(total: int, weights: FloatArray) -> IntArray:
    """``total`` split over ``weights`` by largest remainder, at least one each."""
    n = weights.size
    exact = (total - n) * weights / weights.sum()
    base = np.floor(exact).astype(np.int64)
    rest = total - n - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return np.asarray(base + 1, dtype=np.int64)


def _leaf_skus(
    leaf: dict[str, Any], index: int, n: int, gen: np.random.Generator
) -> dict[str, list[Any]]:
    """Name, brand, pack and price of the ``n`` SKUs of one leaf."""
    items, brands, specs = leaf["items"], leaf["brands"], leaf["specs"]
    combos = len(items) * len(brands) * len(specs)
    picks = gen.permutation(combos)
    weighed = gen.random(n) < leaf["weighed"]
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "name",
            "name_en",
            "brand",
            "private",
            "weighed",
            "pack",
            "yuan",
            "shelf",
            "leaf",
            "elasticity",
            "fresh",
            "margin",
        )
    }
    low, high = leaf["price"]
    for j in range(n):
        combo = int(picks[j % combos])
        item = items[combo % len(items)]
        brand = brands[(combo // len(items)) % len(brands)]
        size = combo // (len(items) * len(brands))
        spec = "散装称重" if weighed[j] else specs[size]
        variant = _VARIANTS[(j // combos) % len(_VARIANTS)]
        rows["name"].append(f"{brand[0]}{item[0]} {spec}{variant[0]}")
        rows["name_en"].append(f"{brand[1]} {item[1]} {_en_spec(spec)}{variant[1]}")
        rows["brand"].append(brand[0])
        rows["private"].append(bool(brand[2]))
        rows["weighed"].append(bool(weighed[j]))
        rows["pack"].append(int(leaf["pack"][gen.integers(len(leaf["pack"]))]))
        # specs are listed small to large: a larger pack sits higher in the price range
        position = (size + gen.random()) / len(specs)
        rows["yuan"].append(float(low * (high / low) ** position))
        rows["shelf"].append(int(gen.integers(leaf["shelf_life"][0], leaf["shelf_life"][1] + 1)))
        rows["leaf"].append(index)
        rows["elasticity"].append(float(leaf["elasticity"] * gen.lognormal(0.0, 0.15)))
        rows["fresh"].append(bool(leaf["fresh"]))
        rows["margin"].append(float(leaf["margin"]))
    return rows


def _en_spec(spec: str) -> str:
    for zh, en in _EN_SPEC:
        spec = spec.replace(zh, en)
    return spec


def _price_fen(yuan: FloatArray) -> IntArray:
    """Shelf prices as a Chinese supermarket writes them: x.5 / x.9 below 10 yuan, else x.9."""
    small = np.where(yuan - np.floor(yuan) < 0.5, np.floor(yuan) + 0.5, np.floor(yuan) + 0.9)
    large = np.floor(yuan) + 0.9
    return np.round(np.where(yuan < 10, small, large) * 100).astype(np.int64)


def _products(
    config: SimulationConfig,
    leaves: Leaves,
    columns: dict[str, list[Any]],
    supplier_of: IntArray,
    gen: np.random.Generator,
) -> Products:
    n = len(columns["name"])
    leaf = np.array(columns["leaf"], dtype=np.int64)
    private = np.array(columns["private"], dtype=bool)
    yuan = np.array(columns["yuan"]) * np.where(private, 0.85, 1.0)
    price = _price_fen(yuan)
    margin = np.array(columns["margin"]) * gen.uniform(0.8, 1.2, n)
    cost = np.round(price * (1 - margin)).astype(np.int64)
    tier = _tiers(price, leaf)
    popularity = gen.lognormal(0.0, 1.1, n) * np.where(private, 1.2, 1.0)
    popularity *= np.choose(tier, [1.1, 1.0, 0.7])
    popularity *= leaves.share[leaf] / np.bincount(leaf, popularity, leaves.count)[leaf]
    launch, delist = _lifecycle(config, n, gen)
    weighed = np.array(columns["weighed"], dtype=bool)
    top = np.array([int(leaves.top[i]) for i in leaf], dtype=np.int64)
    return Products(
        ids=[f"{t}{i + 1:05d}" for i, t in enumerate(top)],
        names=columns["name"],
        names_en=columns["name_en"],
        leaf=leaf,
        brands=columns["brand"],
        private=private,
        tier=tier,
        weighed=weighed,
        pack=np.array(columns["pack"], dtype=np.int64),
        price=price,
        cost=cost,
        shelf_life=np.array(columns["shelf"], dtype=np.int64),
        fresh=np.array(columns["fresh"], dtype=bool),
        supplier=supplier_of,
        barcodes=_barcodes(n, gen),
        launch_day=launch,
        delist_day=delist,
        popularity=popularity,
        elasticity=np.array(columns["elasticity"]),
        units=["千克" if w else "件" for w in weighed],
    )


def _tiers(price: IntArray, leaf: IntArray) -> IntArray:
    """Price tier from the price's rank within its leaf: the cheapest 30 % economy, the
    dearest 20 % premium."""
    order = np.lexsort((price, leaf))
    rank = np.empty(price.size, dtype=np.float64)
    counts = np.bincount(leaf)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    position = np.arange(price.size) - np.repeat(starts, counts)
    rank[order] = (position + 0.5) / np.repeat(counts, counts)
    return np.where(rank < 0.3, 0, np.where(rank > 0.8, 2, 1)).astype(np.int64)


def _lifecycle(
    config: SimulationConfig, n: int, gen: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Launch and delisting days relative to the first day: most SKUs were launched years
    before; about 4 % are launched and 2 % delisted during the period."""
    launch = -gen.integers(30, 5 * 365, n)
    new = gen.random(n) < 0.04
    if config.days > 30:
        launch = np.where(new, gen.integers(7, max(8, config.days - 14), n), launch)
    delist = np.full(n, 10 * config.days + 3_650, dtype=np.int64)
    gone = (gen.random(n) < 0.02) & ~new
    if config.days > 60:
        delist = np.where(gone, gen.integers(30, config.days, n), delist)
    return launch.astype(np.int64), delist.astype(np.int64)


def _barcodes(n: int, gen: np.random.Generator) -> list[str]:
    """EAN-13 codes with the Chinese prefix 69 and a valid check digit."""
    body = 690_000_000_000 + gen.choice(10_000_000_000, size=n, replace=False)
    digits = (body[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    weights = np.tile([1, 3], 6)
    check = (10 - (digits * weights).sum(axis=1) % 10) % 10
    return [str(b * 10 + c) for b, c in zip(body.tolist(), check.tolist(), strict=True)]


def _suppliers(
    data: dict[str, Any], leaves: Leaves, sku_leaf: IntArray, gen: np.random.Generator
) -> tuple[Suppliers, IntArray]:
    """One to three suppliers per middle category; each SKU gets one of its category's."""
    raw = data["leaf"]
    mids = [leaf["mid"] for leaf in raw]
    mid_names = list(dict.fromkeys(mids))
    names: list[str] = []
    lead: list[int] = []
    order_days: list[tuple[int, ...]] = []
    owner: list[int] = []
    for m, mid in enumerate(mid_names):
        members = [i for i, x in enumerate(mids) if x == mid]
        skus = int(np.isin(sku_leaf, members).sum())
        first = raw[members[0]]
        for _ in range(min(3, 1 + skus // 150)):
            # consecutive words: names within one trade never repeat
            word = _SUPPLIER_WORDS[len(names) % len(_SUPPLIER_WORDS)]
            trade = _SUPPLIER_TRADES[leaves.top[members[0]]][0]
            names.append(f"上海{word}{trade}有限公司")
            lead.append(int(gen.integers(first["lead"][0], first["lead"][1] + 1)))
            order_days.append(tuple(first["order_days"]))
            owner.append(m)
    n = len(names)
    by_mid = np.array(owner)
    mid_of_sku = np.array([mid_names.index(mids[i]) for i in sku_leaf], dtype=np.int64)
    offsets = np.searchsorted(by_mid, mid_of_sku)
    spans = np.bincount(by_mid, minlength=len(mid_names))[mid_of_sku]
    supplier_of = offsets + gen.integers(0, 1_000_000, sku_leaf.size) % spans
    suppliers = Suppliers(
        ids=[f"SUP{i + 1:03d}" for i in range(n)],
        names=names,
        lead_days=np.array(lead, dtype=np.int64),
        order_days=order_days,
        late_rate=gen.uniform(0.02, 0.12, n),
        short_rate=gen.uniform(0.02, 0.10, n),
        min_order_fen=(gen.integers(2, 20, n) * 10_000).astype(np.int64),
        is_vmi=gen.random(n) < 0.15,
    )
    return suppliers, supplier_of.astype(np.int64)
