"""Chaos mode: make the hub slow or failing on purpose, for reliability tests and demos.

``HUB_CHAOS_FAIL_RATE`` (0..1) is the share of API requests that fail with HTTP 503 and
error 20. A failing request fails in one of two places:

- **before** any state change (the request is refused, nothing is stored), or
- **after** the state change was committed but before the response is sent — the client
  sees a 503 although the hub did the work, exactly like a response lost on the network.
  Only state-changing calls (``sendEdoc``, ``sendEdocs``, ``updateStatus``,
  ``updateStatuses``) can fail this way; the share
  of failures that do is ``HUB_CHAOS_LOST_RESPONSE_SHARE`` (default 0.5).

A client that retries must therefore be idempotent, which the hub supports: resending
the same packet returns the same DocId and stores nothing new; acknowledging twice is a
no-op.

``HUB_CHAOS_DELAY_MS`` delays every API request by a uniformly random time between 0 and
that many milliseconds (a slow hub; with a client timeout below it, some calls time out).
``HUB_CHAOS_SEED`` makes the random draws reproducible (tests).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from enum import Enum


class ChaosOutcome(Enum):
    """What chaos mode decided for one request."""

    ok = "ok"
    fail_before = "fail_before"
    fail_after = "fail_after"


@dataclass
class Chaos:
    """The chaos settings of one hub app and its random source."""

    fail_rate: float = 0.0
    delay_ms: int = 0
    lost_response_share: float = 0.5
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError("HUB_CHAOS_FAIL_RATE must be between 0 and 1")
        if not 0.0 <= self.lost_response_share <= 1.0:
            raise ValueError("HUB_CHAOS_LOST_RESPONSE_SHARE must be between 0 and 1")
        if self.delay_ms < 0:
            raise ValueError("HUB_CHAOS_DELAY_MS must not be negative")
        self._rng = random.Random(self.seed)  # noqa: S311 - simulation, not security

    @property
    def enabled(self) -> bool:
        """Whether chaos mode does anything at all."""
        return self.fail_rate > 0 or self.delay_ms > 0

    def draw(self, *, changes_state: bool) -> ChaosOutcome:
        """Decide the fate of one request (and sleep its delay)."""
        if not self.enabled:
            return ChaosOutcome.ok
        with self._lock:
            delay = self._rng.uniform(0, self.delay_ms) if self.delay_ms else 0.0
            fails = self._rng.random() < self.fail_rate
            after = self._rng.random() < self.lost_response_share
        if delay:
            time.sleep(delay / 1000)
        if not fails:
            return ChaosOutcome.ok
        if changes_state and after:
            return ChaosOutcome.fail_after
        return ChaosOutcome.fail_before
