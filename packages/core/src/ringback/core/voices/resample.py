"""Resampling 16-bit mono PCM, deterministically (soxr, as Pipecat does).

A resampler that dithers (LiveKit's) gives slightly different samples each time, and the
recognizer then sometimes hears something else: the same audio must give the same transcript.
"""

from __future__ import annotations

from typing import Any

__all__ = ["resample_pcm"]


def resample_pcm(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """16-bit mono PCM at `from_rate` → `to_rate` (soxr, high quality, no dither)."""
    if from_rate == to_rate or not pcm:
        return pcm
    np, soxr = _libraries()
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype=np.int16)
    out = soxr.resample(samples, from_rate, to_rate, quality="HQ")
    return bytes(out.astype(np.int16).tobytes())


def _libraries() -> tuple[Any, Any]:
    try:
        import numpy as np
        import soxr
    except ImportError as exc:  # pragma: no cover - the voices extra installs them
        from .sphinx import VoicesNotInstalledError

        raise VoicesNotInstalledError(
            "resampling needs soxr and numpy: pip install 'ringback-core[voices]'"
        ) from exc
    return np, soxr
