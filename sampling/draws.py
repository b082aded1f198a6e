"""Reproducible simple random sampling without replacement, by hashed keys.

A draw gives every unit the key int(md5(f"{secret}:{seed}:{unit}")[:15], 16), a 60-bit
integer, and keeps, in each stratum, the n_h units with the smallest keys. Modelling the hash as a random function, the
keys are independent and uniform, so every subset of size n_h is equally likely to hold the
n_h smallest: simple random sampling without replacement, inclusion probability n_h / N_h.
A unit's key depends only on its own id, the seed and the secret, so the sample does not depend
on the order the units come in, and a new seed gives an independent new ordering. (Sampling by
sorted random keys: Sunter (1977) "List sequential sampling with equal or unequal probabilities
without replacement", Applied Statistics 26:261-268; Ohlsson (1998) J. Official Statistics
14:149-162.)

Spotcheck stores each output's key at ingest (its project's seed and secret are fixed), so the
weekly draw in the database is an integer comparison, and gives exactly this function's answer.
md5 is enough: the secret, a per-project random string, keeps producers from predicting which
outputs will be audited, and nothing here needs collision resistance.
"""
from __future__ import annotations

import hashlib
import heapq
from collections.abc import Hashable, Iterable, Mapping

from .types import Draw

KEY_BITS = 60


def draw_key(unit: str, *, seed: int | str, secret: str = "") -> int:
    """A unit's rank in a draw (smaller is drawn first): the first 60 bits of md5("secret:seed:unit")."""
    return int(hashlib.md5(f"{secret}:{seed}:{unit}".encode()).hexdigest()[: KEY_BITS // 4], 16)


def draw(
    units_by_stratum: Mapping[str, Iterable[Hashable]],
    allocation: Mapping[str, int],
    *,
    seed: int | str,
    secret: str = "",
) -> list[Draw]:
    """Draw allocation[h] units from each stratum h by simple random sampling without replacement.

    Each stratum keeps the n_h units with the smallest draw_key(str(unit)) (ties, which need a
    60-bit collision, go to the smaller id); every unit gets inclusion probability n_h / N_h, which
    is 1 when the stratum has no more units than its allocation and all are taken. Duplicate
    units count once. Strata missing from the allocation get nothing. The result is ordered by
    stratum name, then key.
    """
    draws: list[Draw] = []
    for stratum in sorted(units_by_stratum):
        wanted = allocation.get(stratum, 0)
        if wanted < 0:
            raise ValueError(f"allocation for {stratum!r} must be >= 0, not {wanted}")
        keyed = {(draw_key(str(u), seed=seed, secret=secret), str(u)): u for u in units_by_stratum[stratum]}
        population = len(keyed)
        if not population or not wanted:
            continue
        taken = heapq.nsmallest(min(wanted, population), keyed)
        probability = len(taken) / population
        draws.extend(Draw(keyed[key], stratum, probability) for key in taken)
    return draws
