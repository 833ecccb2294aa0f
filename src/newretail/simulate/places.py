"""Places (场): the store network in a real city and the channels orders come through.

Stores are placed in the city's districts around each district's centre; a store's type
sets its size, opening hours, traffic and how much of the catalogue it carries. Forward
warehouses (前置仓) serve online orders only.
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
from newretail.simulate.rng import SETUP, FloatArray, IntArray, Stream, rng

#: store types in the order the network is built (cycled), so small networks have a mix
TYPE_CYCLE = (
    "flagship",
    "community",
    "forward_warehouse",
    "community",
    "convenience",
    "community",
    "forward_warehouse",
    "community",
    "convenience",
    "community",
)
TYPE_NAMES = {
    "flagship": ("旗舰店", "Flagship"),
    "community": ("社区店", "Community store"),
    "convenience": ("便利店", "Convenience store"),
    "forward_warehouse": ("前置仓", "Forward warehouse"),
}
# selling area range (m²), opening and closing time, relative walk-in traffic, assortment
# share, mean basket size of a walk-in trip
TYPE_TRAITS: dict[str, tuple[tuple[float, float], str, str, float, float, float]] = {
    "flagship": ((2_000.0, 4_500.0), "08:00", "22:00", 2.2, 1.0, 6.0),
    "community": ((400.0, 1_200.0), "07:00", "22:00", 1.0, 0.75, 4.9),
    "convenience": ((60.0, 150.0), "00:00", "23:59", 0.8, 0.3, 2.8),
    "forward_warehouse": ((300.0, 600.0), "07:00", "23:00", 0.0, 0.65, 0.0),
}


@dataclass(frozen=True)
class Channel:
    channel_id: str
    name: str
    name_en: str
    kind: str
    platform: str | None
    online: bool


CHANNELS: tuple[Channel, ...] = (
    Channel("pos", "门店收银", "Store POS", "store_pos", None, False),
    Channel("app", "鲜邻App", "Xianlin app", "app", None, True),
    Channel("mini", "微信小程序", "WeChat mini-program", "mini_program", "微信", True),
    Channel("meituan", "美团外卖", "Meituan delivery", "delivery_platform", "美团", True),
    Channel("eleme", "饿了么", "Ele.me delivery", "delivery_platform", "饿了么", True),
)
CHANNEL_IDS = tuple(c.channel_id for c in CHANNELS)
ONLINE_CHANNELS = tuple(i for i, c in enumerate(CHANNELS) if c.online)


@lru_cache(maxsize=1)
def city_data() -> dict[str, Any]:
    """The city file (``data/city.toml``): districts, roads and climate normals."""
    text = (resources.files("newretail.simulate") / "data" / "city.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Stores:
    """The store network, one entry per store in every array (index = store number)."""

    ids: list[str]
    names: list[str]
    names_en: list[str]
    types: list[str]
    districts: list[str]
    addresses: list[str]
    lat: FloatArray
    lon: FloatArray
    area: FloatArray
    opening: list[str]
    closing: list[str]
    opened_on: list[date]
    traffic: FloatArray  # relative walk-in traffic (0 for forward warehouses)
    assortment: FloatArray  # share of the catalogue carried
    basket: FloatArray  # mean walk-in basket size
    encodings: list[str]  # encoding of the store's POS export files

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def physical(self) -> IntArray:
        """Stores that customers walk into (not forward warehouses)."""
        return np.flatnonzero(self.traffic > 0).astype(np.int64)

    def hours(self) -> tuple[IntArray, IntArray]:
        """First and last selling hour (0–23) of each store."""
        first = np.array([int(t[:2]) for t in self.opening], dtype=np.int64)
        last = np.array([int(t[:2]) - (t[3:] == "00") for t in self.closing], dtype=np.int64)
        return first, np.minimum(last, 23)


def build_stores(config: SimulationConfig) -> Stores:
    """``config.stores`` stores spread over the city's districts."""
    gen = rng(config.seed, SETUP, Stream.PLACES)
    city = city_data()
    districts = city["district"]
    n = config.stores
    types = [TYPE_CYCLE[i % len(TYPE_CYCLE)] for i in range(n)]
    where = np.arange(n) % len(districts)
    centre_lat = np.array([districts[d]["lat"] for d in where])
    centre_lon = np.array([districts[d]["lon"] for d in where])
    spread = np.array([districts[d]["spread_km"] for d in where])
    north = gen.normal(0.0, 1.0, n) * spread
    east = gen.normal(0.0, 1.0, n) * spread
    lat = np.round(centre_lat + north / 111.0, 6)
    lon = np.round(centre_lon + east / (111.0 * np.cos(np.radians(centre_lat))), 6)
    traits = [TYPE_TRAITS[t] for t in types]
    area = np.round([gen.uniform(*t[0]) for t in traits], 0)
    roads = [districts[d]["roads"][gen.integers(len(districts[d]["roads"]))] for d in where]
    numbers = gen.integers(1, 1_500, n)
    opened = [config.start - timedelta(days=int(x)) for x in gen.integers(60, 3_650, n)]
    chain, chain_en = city["city"]["chain"], city["city"]["chain_en"]
    ids = [f"S{i + 1:03d}" for i in range(n)]
    names = [
        f"{chain}·{districts[d]['zh']}{road[0]}{TYPE_NAMES[t][0]}"
        for d, road, t in zip(where, roads, types, strict=True)
    ]
    names_en = [
        f"{chain_en} {TYPE_NAMES[t][1]} {districts[d]['en']} {road[1]}"
        for d, road, t in zip(where, roads, types, strict=True)
    ]
    encodings = _encodings(n, config.gb18030_share)
    return Stores(
        ids=ids,
        names=names,
        names_en=names_en,
        types=types,
        districts=[districts[d]["zh"] for d in where],
        addresses=[
            f"{city['city']['name']}市{districts[d]['zh']}区{road[0]}{num}号"
            for d, road, num in zip(where, roads, numbers, strict=True)
        ],
        lat=lat,
        lon=lon,
        area=np.asarray(area, dtype=np.float64),
        opening=[t[1] for t in traits],
        closing=[t[2] for t in traits],
        opened_on=opened,
        traffic=np.array([t[3] for t in traits]) * gen.lognormal(0.0, 0.2, n),
        assortment=np.array([t[4] for t in traits]),
        basket=np.array([t[5] for t in traits]),
        encodings=encodings,
    )


def _encodings(n: int, gb_share: float) -> list[str]:
    """POS file encodings: older tills write GB18030, newer ones UTF-8 (some with a BOM).

    Spread evenly (every k-th store) so that even a small network has each kind.
    """
    gb_every = round(1 / gb_share) if gb_share > 0 else 0
    out = []
    for i in range(n):
        if gb_every and i % gb_every == 1 % gb_every:
            out.append("gb18030")
        else:
            out.append("utf-8-sig" if i % 5 == 4 else "utf-8")
    return out
