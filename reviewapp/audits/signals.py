"""What audits tells later stages, without importing them."""
from __future__ import annotations

from django.dispatch import Signal

# Sent by retention before it retires a project's outputs older than `cutoff` (kwargs: project,
# cutoff): the last moment anything computed over those outputs can be kept. Metrics keeps the
# judge's per-stratum means of the runs concerned (metrics.judging.freeze_frames).
outputs_retiring = Signal()
