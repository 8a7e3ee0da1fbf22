"""Pure audio helpers: sample formats, resampling, G.711 mu-law, WAV files.

PCM is mono throughout. "int16" means little-endian signed 16-bit samples (as bytes or an int16 array);
"float32" means samples in [-1, 1]. The mu-law codec is a vectorised G.711 (the same bytes as the standard
library's deprecated `audioop.lin2ulaw`/`ulaw2lin`).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import soxr

from telephony import g711

PHONE_RATE = 8_000
"""Twilio Media Streams and most SIP trunks: 8 kHz mu-law."""
WHISPER_RATE = 16_000
"""What Whisper listens at."""


def to_float32(pcm: bytes | np.ndarray) -> np.ndarray:
    """Samples as float32 in [-1, 1], from int16 bytes, an int16 array or a float array."""
    if isinstance(pcm, bytes | bytearray | memoryview):
        pcm = np.frombuffer(pcm, dtype="<i2")
    array = np.asarray(pcm)
    if array.dtype.kind in "iu":
        return array.astype(np.float32) / 32768.0
    return array.astype(np.float32, copy=False)


def to_int16(samples: bytes | np.ndarray) -> np.ndarray:
    """Samples as an int16 array; floats are clipped to [-1, 1] and scaled by 32767."""
    if isinstance(samples, bytes | bytearray | memoryview):
        return np.frombuffer(samples, dtype="<i2").copy()
    array = np.asarray(samples)
    if array.dtype == np.int16:
        return array
    if array.dtype.kind in "iu":
        return np.asarray(np.clip(array, -32768, 32767), dtype=np.int16)
    return np.asarray((np.clip(array, -1.0, 1.0) * 32767.0).round(), dtype=np.int16)


def int16_bytes(samples: bytes | np.ndarray) -> bytes:
    """Little-endian int16 PCM bytes."""
    return to_int16(samples).astype("<i2").tobytes()


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample with libsoxr (high quality); int16 stays int16, anything else comes back float32."""
    if from_rate == to_rate:
        return samples
    if samples.dtype == np.int16:
        return np.asarray(soxr.resample(samples, from_rate, to_rate, quality="HQ"), dtype=np.int16)
    return np.asarray(soxr.resample(to_float32(samples), from_rate, to_rate, quality="HQ"), dtype=np.float32)


def resample_bytes(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample int16 PCM bytes."""
    return int16_bytes(resample(to_int16(pcm), from_rate, to_rate))


def ulaw_encode(samples: bytes | np.ndarray) -> bytes:
    """G.711 mu-law bytes from int16 PCM (bytes or array) or float samples (the codec is `telephony.g711`'s)."""
    return g711.ulaw_encode(to_int16(samples).astype("<i2").tobytes())


def ulaw_decode(data: bytes) -> np.ndarray:
    """int16 PCM samples from G.711 mu-law bytes."""
    return np.frombuffer(g711.ulaw_decode(data), dtype="<i2")


def phone_roundtrip(samples: np.ndarray, rate: int, to_rate: int = WHISPER_RATE) -> np.ndarray:
    """What a caller's line does to audio: down to 8 kHz mu-law and back up to `to_rate` (float32)."""
    line = ulaw_encode(resample(to_int16(samples), rate, PHONE_RATE))
    return resample(to_float32(ulaw_decode(line)), PHONE_RATE, to_rate)


def duration(samples: bytes | np.ndarray, rate: int) -> float:
    """Seconds of audio (int16 bytes count two bytes a sample)."""
    count = len(samples) // 2 if isinstance(samples, bytes | bytearray | memoryview) else len(samples)
    return count / rate


def silence(seconds: float, rate: int) -> np.ndarray:
    """int16 zeros."""
    return np.zeros(int(round(seconds * rate)), dtype=np.int16)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A WAV file as (int16 mono samples, sample rate); 8-bit, 16-bit and 32-bit PCM, stereo mixed down."""
    with wave.open(str(path), "rb") as reader:
        width, channels, rate = reader.getsampwidth(), reader.getnchannels(), reader.getframerate()
        raw = reader.readframes(reader.getnframes())
    if width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.int32) - 128) << 8
    elif width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.int32)
    elif width == 4:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.int64) >> 16
    else:
        raise ValueError(f"{path}: unsupported sample width {width * 8} bits")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return np.clip(samples, -32768, 32767).astype(np.int16), rate


def write_wav(path: str | Path, samples: bytes | np.ndarray, rate: int) -> None:
    """Write mono int16 PCM (bytes, int16 or float samples) as a WAV file."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(int16_bytes(samples))
