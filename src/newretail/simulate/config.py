"""What a simulation run is asked to produce: the chain's size, period and behaviour.

A :class:`SimulationConfig` is a frozen value; :func:`preset` gives the named sizes
(``small`` for tests, ``demo`` for showing the product, ``bench`` for performance runs) with
any field overridden. Every field is checked by :meth:`SimulationConfig.validate`, which
raises :class:`SimulationError` naming the option, its value and the rule it breaks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from newretail.core.calendar import FIRST_YEAR, LAST_YEAR
from newretail.core.errors import ConfigError


class SimulationError(ConfigError):
    """A simulation option or the output folder is not usable."""

    key = "simulate.bad_option"


@dataclass(frozen=True)
class SimulationConfig:
    """Options of one run. Rates are per day; shares are between 0 and 1.

    ``member_rate`` is the mean purchase occasions a day of a member while active, drawn
    per member from a gamma distribution of shape ``rate_shape`` (BG/NBD's r); after each
    occasion a member drops out with a probability drawn from Beta(``dropout_a``,
    ``dropout_b``). ``guest_share`` is the share of in-store trips made by guests,
    ``online_share`` the mean share of a member's trips made online. ``promo_share`` is the
    share of SKUs on the weekly promotion flyer. ``dirt_rate`` is the share of POS and online
    rows made dirty per kind of dirt (duplicates, bad dates, unknown SKUs, negative
    quantities); with a positive rate one POS file is also cut short. ``snapshot_every``
    writes inventory snapshots every that many days. ``full_demand_truth`` keeps every
    store × SKU × day in the demand truth (else only rows with demand, sales or a promotion).
    """

    seed: int = 0
    stores: int = 20
    skus: int = 2_000
    members: int = 20_000
    days: int = 365
    start: date = date(2024, 1, 1)
    member_rate: float = 0.14
    rate_shape: float = 0.45
    dropout_a: float = 0.8
    dropout_b: float = 10.0
    existing_members: float = 0.6
    guest_share: float = 0.65
    online_share: float = 0.3
    conversion: float = 0.25
    promo_share: float = 0.03
    dirt_rate: float = 0.002
    gb18030_share: float = 0.34
    snapshot_every: int = 1
    full_demand_truth: bool = True

    @property
    def end(self) -> date:
        """The last simulated day (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    def validate(self) -> SimulationConfig:
        """``self`` when every option is usable, else :class:`SimulationError`."""
        for name, low, high in _BOUNDS:
            value = getattr(self, name)
            if not low <= value <= high:
                raise SimulationError(
                    f"{name}={value} must be between {low} and {high}",
                    key="simulate.bad_option",
                    option=name,
                    value=value,
                    low=low,
                    high=high,
                )
        if self.start.year < FIRST_YEAR or self.end.year > LAST_YEAR:
            raise SimulationError(
                f"the period {self.start}..{self.end} is outside {FIRST_YEAR}..{LAST_YEAR}",
                key="simulate.bad_period",
                start=self.start.isoformat(),
                end=self.end.isoformat(),
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        if self.guest_share + 0.01 > 1 or self.online_share + 0.01 > 1:
            raise SimulationError(
                "guest_share and online_share must stay below 0.99",
                key="simulate.bad_option",
                option="guest_share/online_share",
                value=f"{self.guest_share}/{self.online_share}",
                low=0,
                high=0.99,
            )
        return self

    def as_dict(self) -> dict[str, Any]:
        """The options as JSON-ready values (the start date as ISO text)."""
        values = dataclasses.asdict(self)
        values["start"] = self.start.isoformat()
        return values


_BOUNDS: tuple[tuple[str, float, float], ...] = (
    ("seed", 0, 2**63 - 1),
    ("stores", 1, 5_000),
    ("skus", 50, 100_000),
    ("members", 10, 50_000_000),
    ("days", 1, 3_650),
    ("member_rate", 0.001, 1.0),
    ("rate_shape", 0.05, 100.0),
    ("dropout_a", 0.01, 100.0),
    ("dropout_b", 0.01, 1_000.0),
    ("existing_members", 0.0, 1.0),
    ("guest_share", 0.0, 0.99),
    ("online_share", 0.0, 0.99),
    ("conversion", 0.01, 1.0),
    ("promo_share", 0.0, 0.3),
    ("dirt_rate", 0.0, 0.05),
    ("gb18030_share", 0.0, 1.0),
    ("snapshot_every", 1, 31),
)


@dataclass(frozen=True)
class _Preset:
    description: str
    options: dict[str, Any] = field(default_factory=dict)


PRESETS: dict[str, _Preset] = {
    "small": _Preset(
        "3 stores, 200 SKUs, 1,000 members, 90 days around the 2024 Spring Festival (tests)",
        {
            "stores": 3,
            "skus": 200,
            "members": 1_000,
            "days": 90,
            "start": date(2024, 1, 8),
            "promo_share": 0.05,
            "dirt_rate": 0.003,
        },
    ),
    "demo": _Preset(
        "20 stores, 2,000 SKUs, 20,000 members, one year (2024)",
        {"stores": 20, "skus": 2_000, "members": 20_000, "days": 365},
    ),
    "bench": _Preset(
        "200 stores, 5,000 SKUs, 500,000 members, one year: about 50 million order lines",
        # busier stores (more walk-in guests), weekly stock snapshots and only the demand
        # truth rows with demand or a promotion keep the output near 25 GB
        {
            "stores": 200,
            "skus": 5_000,
            "members": 500_000,
            "days": 365,
            "guest_share": 0.75,
            "snapshot_every": 7,
            "full_demand_truth": False,
        },
    ),
}


def preset(name: str, **overrides: Any) -> SimulationConfig:
    """The configuration of preset ``name`` (``small``, ``demo``, ``bench``) with
    ``overrides`` (any :class:`SimulationConfig` field; ``None`` values are ignored, so a
    command line can pass its unset options through), validated."""
    chosen = PRESETS.get(name)
    if chosen is None:
        raise SimulationError(
            f"unknown preset {name!r}",
            key="simulate.unknown_preset",
            name=name,
            known=", ".join(PRESETS),
        )
    fields = {f.name for f in dataclasses.fields(SimulationConfig)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise SimulationError(
            f"unknown option {unknown[0]!r}",
            key="simulate.unknown_option",
            option=unknown[0],
            known=", ".join(sorted(fields)),
        )
    given = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(given.get("start"), str):
        given["start"] = _parse_start(given["start"])
    return SimulationConfig(**{**chosen.options, **given}).validate()


def _parse_start(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SimulationError(
            f"start={text!r} is not a date (YYYY-MM-DD)", key="simulate.bad_start", value=text
        ) from None
