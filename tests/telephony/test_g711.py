import warnings

import numpy as np
import pytest

from telephony.g711 import FRAME_BYTES, rms, tone, ulaw_decode, ulaw_encode, ulaw_silence

ALL_SAMPLES = np.arange(-32768, 32768, dtype="<i2").tobytes()


def test_known_values() -> None:
    assert ulaw_encode(np.array([0, 32767, -32768], dtype="<i2").tobytes()) == bytes([0xFF, 0x80, 0x00])
    assert ulaw_decode(bytes([0xFF, 0x7F, 0x80, 0x00])) == np.array([0, 0, 32124, -32124], dtype="<i2").tobytes()


def test_same_bytes_as_audioop() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    assert ulaw_encode(ALL_SAMPLES) == audioop.lin2ulaw(ALL_SAMPLES, 2)
    assert ulaw_decode(bytes(range(256))) == audioop.ulaw2lin(bytes(range(256)), 2)


def test_round_trip_error_is_within_the_segment_step() -> None:
    original = np.frombuffer(ALL_SAMPLES, dtype="<i2").astype(np.int32)
    decoded = np.frombuffer(ulaw_decode(ulaw_encode(ALL_SAMPLES)), dtype="<i2").astype(np.int32)
    assert np.all(np.abs(decoded - original) <= np.maximum(16, np.abs(original) // 16))


def test_tone_silence_and_level() -> None:
    beep = ulaw_encode(tone(440, 0.1, amplitude=0.3))
    assert len(beep) == 800
    assert 0.15 < rms(beep) < 0.25
    assert ulaw_silence() == b"\xff" * FRAME_BYTES
    assert rms(ulaw_silence()) == 0.0 and rms(b"") == 0.0
