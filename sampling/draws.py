"""Reproducible simple random sampling without replacement, by hashed keys.

Every unit gets a key: a keyed BLAKE2b hash of its id, cut to 63 bits (so it fits a signed
64-bit integer column on any database), then XOR-ed with a mask derived from the draw's seed.
Within a stratum the n units with the smallest keys form the sample. With keys that behave
like independent uniform draws, every subset of size n is equally likely to have the n
smallest keys, so this is SRSWOR with inclusion probability n_h / N_h; and because a unit's
key depends only on its own id, the sample does not depend on the order the units come in.
(Ohlsson (1998) "Sequential Poisson sampling", J. Official Statistics 14:149-162, for sampling
by permanent random numbers; this is its equal-probability case.)

The key secret makes the sample unpredictable to whoever chooses the ids: a producer who knew
the hash could pick ids that are never audited.
"""
from __future__ import annotations

import hashlib

KEY_BITS = 63
_MAX_KEY_BYTES = 64  # BLAKE2b's key limit


def unit_key(unit: str, secret: bytes = b"") -> int:
    """A unit's permanent random number in [0, 2**63), from a keyed hash of its id."""
    digest = hashlib.blake2b(unit.encode(), key=secret[:_MAX_KEY_BYTES], digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - KEY_BITS)


def seed_mask(seed: int | str) -> int:
    """The 63-bit mask a seed XORs into every key: a new seed, an independent new ordering."""
    digest = hashlib.blake2b(str(seed).encode(), digest_size=8, person=b"spotcheck-seed").digest()
    return int.from_bytes(digest, "big") >> (64 - KEY_BITS)
