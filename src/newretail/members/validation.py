"""How right the tags are: precision and recall against known traits, beside a random tagger.

The chain simulator (:mod:`newretail.simulate`) knows every member's true traits and keeps
them in ``truth/members.parquet`` beside its exports; :func:`simulated_traits` turns them into
the labels the tags should find, and :func:`tag_accuracy` compares. A random tagger that tags
as many eligible members as the rule did would have a precision equal to the prevalence and
a recall equal to the share tagged: the figures the rule has to beat.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newretail.core.errors import InputFileError
from newretail.members.tags import TAGS

#: the simulator's class or life stage that each binary tag should find
_TRUE_CLASS = {
    "price_sensitive": ("shopper_class", "price_sensitive"),
    "quality_oriented": ("shopper_class", "quality"),
    "trend_lover": ("shopper_class", "trend"),
    "new_parent": ("life_stage", "new_parents"),
}
ACCURACY_COLUMNS = (
    "tag", "eligible", "actual", "tagged", "true_positives", "precision", "recall",
    "random_precision", "random_recall", "lift",
)  # fmt: skip


def simulated_traits(truth_dir: Path) -> pa.Table:
    """The labels of a simulated chain's members: ``member_id``, one bool column per binary
    tag, and ``channel`` (their usual online channel if they buy online more often than not,
    else the store POS channel ``pos``). ``truth_dir`` is the run's ``truth`` folder."""
    path = Path(truth_dir) / "members.parquet"
    if not path.is_file():
        raise InputFileError(f"{path} not found", key="members.no_truth", path=str(path))
    truth = pq.read_table(path)
    columns: dict[str, pa.Array] = {"member_id": truth.column("member_id").combine_chunks()}
    for tag, (column, value) in _TRUE_CLASS.items():
        columns[tag] = pc.equal(truth.column(column), value).combine_chunks()
    online = pc.greater(truth.column("online_preference"), 0.5)
    columns["channel"] = pc.if_else(online, truth.column("online_channel_id"), "pos")
    return pa.table(columns)


def tag_accuracy(tags: pa.Table, traits: pa.Table, eligible: Sequence[str]) -> pa.Table:
    """Precision and recall of every tag among the ``eligible`` members (those with enough
    purchases to be tagged), with a random tagger's figures and the lift over it.

    ``tags`` is :func:`newretail.members.tags.member_tags`'s result; ``traits`` is
    :func:`simulated_traits`'s. The channel tag is right when its value is the member's
    true channel; its random tagger draws channels by their true shares.
    """
    pool = traits.filter(pc.is_in(traits.column("member_id"), pa.array(list(eligible))))
    rows = [_binary(tags, pool, tag) for tag in TAGS if tag in _TRUE_CLASS]
    rows.append(_channel(tags, pool))
    return pa.Table.from_pylist(rows).select(list(ACCURACY_COLUMNS))


def _tagged(tags: pa.Table, tag: str, pool: pa.Table) -> pa.Table:
    mine = tags.filter(pc.equal(tags.column("tag"), tag))
    return mine.filter(pc.is_in(mine.column("member_id"), pool.column("member_id")))


def _binary(tags: pa.Table, pool: pa.Table, tag: str) -> dict[str, object]:
    tagged = _tagged(tags, tag, pool)
    actual = pool.filter(pool.column(tag))
    hits = int(
        pc.sum(pc.is_in(tagged.column("member_id"), actual.column("member_id"))).as_py() or 0
    )
    prevalence = actual.num_rows / pool.num_rows if pool.num_rows else float("nan")
    return _row(tag, pool.num_rows, actual.num_rows, tagged.num_rows, hits, prevalence)


def _channel(tags: pa.Table, pool: pa.Table) -> dict[str, object]:
    tagged = _tagged(tags, "channel", pool)
    truth = pool.select(["member_id", "channel"])
    joined = tagged.select(["member_id", "value"]).join(truth, "member_id")
    hits = int(pc.sum(pc.equal(joined.column("value"), joined.column("channel"))).as_py() or 0)
    counts = pc.value_counts(pool.column("channel")).field("counts").to_numpy()
    chance = float(np.sum((counts / counts.sum()) ** 2)) if counts.size else float("nan")
    return _row("channel", pool.num_rows, pool.num_rows, tagged.num_rows, hits, chance)


def _row(
    tag: str, eligible: int, actual: int, tagged: int, hits: int, chance: float
) -> dict[str, object]:
    precision = hits / tagged if tagged else float("nan")
    return {
        "tag": tag,
        "eligible": eligible,
        "actual": actual,
        "tagged": tagged,
        "true_positives": hits,
        "precision": precision,
        "recall": hits / actual if actual else float("nan"),
        "random_precision": chance,
        "random_recall": tagged / eligible if eligible else float("nan"),
        "lift": precision / chance if chance else float("nan"),
    }
