"""Pure audio helpers: sample formats, G.711 mu-law, resampling, WAV files."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from voicebot.speech import audio

# Codes given by the standard library's audioop (CPython's G.711 encoder), kept for Pythons without it.
KNOWN_ULAW = [
    (0, 0xFF),
    (-1, 0x7E),
    (32636, 0x80),
    (-32636, 0x00),
    (32767, 0x80),
    (-32768, 0x00),
    (132, 0xEF),
    (-132, 0x6F),
    (1000, 0xCE),
    (-1000, 0x4E),
]


@pytest.mark.parametrize(("sample", "code"), KNOWN_ULAW)
def test_ulaw_known_codes(sample: int, code: int) -> None:
    assert audio.ulaw_encode(np.array([sample], dtype=np.int16)) == bytes([code])


def test_ulaw_matches_audioop_on_every_sample() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")  # removed from Python 3.13: then the known codes above suffice
    every = np.arange(-32768, 32768, dtype=np.int16)
    assert audio.ulaw_encode(every) == audioop.lin2ulaw(every.tobytes(), 2)
    codes = bytes(range(256))
    assert audio.ulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)


def test_ulaw_roundtrip_is_close_and_idempotent() -> None:
    rng = np.random.default_rng(7)
    pcm = (rng.standard_normal(8000) * 6000).clip(-32768, 32767).astype(np.int16)
    decoded = audio.ulaw_decode(audio.ulaw_encode(pcm))
    assert decoded.dtype == np.int16
    relative = np.abs(decoded.astype(int) - pcm) / np.maximum(np.abs(pcm.astype(int)), 256)
    assert relative.max() < 0.07  # 8-bit log quantisation: a few per cent at most
    assert audio.ulaw_encode(decoded) == audio.ulaw_encode(pcm)


def test_ulaw_accepts_bytes_and_floats() -> None:
    pcm = np.array([0, 1000, -1000, 32767], dtype=np.int16)
    assert audio.ulaw_encode(pcm.tobytes()) == audio.ulaw_encode(pcm)
    assert audio.ulaw_encode(pcm / 32767.0) == audio.ulaw_encode(pcm)


def test_int16_float32_conversions() -> None:
    pcm = np.array([-32768, -16384, 0, 16384, 32767], dtype=np.int16)
    floats = audio.to_float32(pcm)
    assert floats.dtype == np.float32 and floats.min() == -1.0 and floats.max() < 1.0
    assert np.array_equal(audio.to_float32(pcm.tobytes()), floats)
    assert np.array_equal(audio.to_int16(np.array([2.0, -2.0, 0.5], dtype=np.float32)), [32767, -32767, 16384])
    assert np.array_equal(audio.to_int16(pcm.tobytes()), pcm)
    assert audio.int16_bytes(pcm) == pcm.astype("<i2").tobytes()


@pytest.mark.parametrize(
    ("source", "target"), [(8000, 16000), (16000, 8000), (22050, 8000), (24000, 8000), (24000, 16000), (22050, 16000)]
)
def test_resample_keeps_length_and_tone(source: int, target: int) -> None:
    seconds = 0.5
    t = np.arange(int(source * seconds)) / source
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out = audio.resample(tone, source, target)
    assert out.dtype == np.float32
    assert abs(len(out) - target * seconds) <= 1
    spectrum = np.abs(np.fft.rfft(out[100:-100]))
    peak_hz = np.argmax(spectrum) * target / len(out[100:-100])
    assert abs(peak_hz - 440) < 5
    assert audio.resample(audio.to_int16(tone), source, target).dtype == np.int16


def test_resample_same_rate_is_identity_and_bytes_work() -> None:
    pcm = np.arange(100, dtype=np.int16)
    assert audio.resample(pcm, 8000, 8000) is pcm
    assert len(audio.resample_bytes(pcm.tobytes(), 8000, 16000)) == 400


def test_phone_roundtrip_and_duration() -> None:
    t = np.arange(24000) / 24000
    voice = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    line = audio.phone_roundtrip(voice, 24000)
    assert len(line) == 16000 and line.dtype == np.float32
    assert audio.duration(line, 16000) == 1.0
    assert audio.duration(b"\x00" * 320, 8000) == 0.02
    assert len(audio.silence(0.25, 8000)) == 2000


def test_wav_roundtrip(tmp_path: Path) -> None:
    pcm = (np.sin(np.arange(800) / 5) * 10000).astype(np.int16)
    path = tmp_path / "x.wav"
    audio.write_wav(path, pcm, 8000)
    samples, rate = audio.read_wav(path)
    assert rate == 8000 and np.array_equal(samples, pcm)
    audio.write_wav(path, pcm.tobytes(), 16000)
    assert audio.read_wav(path)[1] == 16000


def test_wav_stereo_and_8_bit(tmp_path: Path) -> None:
    import wave

    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(np.array([100, 300, -100, -300], dtype="<i2").tobytes())
    assert audio.read_wav(stereo)[0].tolist() == [200, -200]
    eight = tmp_path / "eight.wav"
    with wave.open(str(eight), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(1)
        writer.setframerate(8000)
        writer.writeframes(bytes([128, 255, 0]))
    assert audio.read_wav(eight)[0].tolist() == [0, 127 << 8, -128 << 8]
