"""G.711 mu-law, the codec of Twilio Media Streams and of our SIP calls (8 kHz, 8 bits), the telephone line's
rate and frame sizes (written once here for both lines), and a tone generator; pure numpy.

The codec gives the same bytes as the standard library's `audioop.lin2ulaw` / `ulaw2lin` (deprecated in
Python 3.11, gone in 3.13). PCM means mono little-endian signed 16-bit samples.
"""

from __future__ import annotations

import math

import numpy as np

PHONE_RATE = 8_000
"""The telephone line's sample rate (G.711: Twilio's media streams, SIP's RTP clock)."""
FRAME_SECONDS = 0.02
"""One frame: a Twilio media message, an RTP packet (ptime 20)."""
FRAME_SAMPLES = round(PHONE_RATE * FRAME_SECONDS)
"""Samples in one frame: 160."""
FRAME_BYTES = FRAME_SAMPLES
"""One frame of G.711 (mu-law or A-law): 160 bytes, one per sample."""
ULAW_SILENCE = 0xFF
"""The mu-law byte for a zero sample."""

_BIAS = 0x84
_CLIP14 = 8_159
"""audioop works on 14-bit magnitudes: clip and bias (0x84 >> 2) at that scale."""
_BIAS14 = 0x21


def _decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (codes >> 4) & 0x07
    magnitude = (((codes & 0x0F) << 3) + _BIAS) << exponent
    linear = magnitude - _BIAS
    return np.where(codes & 0x80, -linear, linear).astype("<i2")


_DECODE = _decode_table()


def ulaw_encode(pcm: bytes) -> bytes:
    """16-bit PCM (bytes) to mu-law bytes, one byte per sample (an odd trailing byte is ignored)."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.int32) >> 2
    mask = np.where(samples < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(samples), _CLIP14) + _BIAS14
    segment = np.frexp((magnitude >> 6).astype(np.float64))[1]
    value = np.where(segment > 7, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F))
    return ((value ^ mask) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(ulaw: bytes) -> bytes:
    """mu-law bytes to 16-bit PCM bytes (two bytes per sample)."""
    return _DECODE[np.frombuffer(ulaw, dtype=np.uint8)].tobytes()


def ulaw_silence(seconds: float = FRAME_SECONDS) -> bytes:
    """mu-law silence lasting `seconds` at 8 kHz."""
    return bytes([ULAW_SILENCE]) * round(seconds * PHONE_RATE)


def tone(frequency: float, seconds: float, *, rate: int = PHONE_RATE, amplitude: float = 0.3) -> bytes:
    """A sine tone as 16-bit PCM bytes, with 5 ms fades so that it does not click."""
    count = round(seconds * rate)
    t = np.arange(count) / rate
    wave = amplitude * np.sin(2 * math.pi * frequency * t)
    fade = min(count // 2, round(0.005 * rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        wave[:fade] *= ramp
        wave[count - fade :] *= ramp[::-1]
    return (wave * 32767).astype("<i2").tobytes()


def rms(ulaw: bytes) -> float:
    """Root mean square level of mu-law audio, in [0, 1] of full scale (0 for no audio)."""
    if not ulaw:
        return 0.0
    samples = _DECODE[np.frombuffer(ulaw, dtype=np.uint8)].astype(np.float64) / 32768.0
    return float(np.sqrt(np.mean(samples * samples)))
