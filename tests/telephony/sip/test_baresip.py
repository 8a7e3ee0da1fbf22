"""`SipServer` against baresip, a real softphone run headless: it speaks a WAV file and records what it hears.

baresip missing is a failure, not a skip: CI installs it (apt-get install baresip-core).
"""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from telephony.g711 import tone
from telephony.sip import SipServer
from tests.telephony.sip.peers import Recorder, dominant_hz, free_media_port, require

pytestmark = pytest.mark.slow

CONFIG = """poll_method\tepoll
sip_listen\t127.0.0.1:{sip_port}
call_local_timeout\t120
audio_player\taubridge,spk
audio_source\taufile,{wav}
audio_alert\taubridge,spk
audio_srate\t8000
audio_channels\t1
rtp_ports\t{rtp_low}-{rtp_high}
jitter_buffer_delay\t5-10
module_path\t/usr/lib/baresip/modules
module\tg711.so
module\taufile.so
module\taubridge.so
module\tsndfile.so
module_app\taccount.so
module_app\tmenu.so
snd_path\t{recordings}
"""


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(pcm)


def test_a_baresip_caller_hears_the_bot_and_is_heard(tmp_path: Path) -> None:
    program = require("baresip")
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    write_wav(tmp_path / "caller.wav", tone(700, 1.0, amplitude=0.5) + bytes(16000))  # baresip hangs up at its end
    rtp_low = free_media_port()
    (tmp_path / "config").write_text(
        CONFIG.format(
            sip_port=free_media_port(),
            wav=tmp_path / "caller.wav",
            rtp_low=rtp_low,
            rtp_high=rtp_low + 40,
            recordings=recordings,
        )
    )
    (tmp_path / "accounts").write_text("<sip:patient@127.0.0.1>;regint=0;audio_codecs=PCMU\n")

    async def main() -> None:
        handler = Recorder(greeting=tone(440, 0.5))
        server = SipServer(handler, port=0)
        await server.start()
        process = await asyncio.create_subprocess_exec(
            program,
            "-f",
            str(tmp_path),
            "-e",
            f"/dial sip:bot@127.0.0.1:{server.address[1]}",
            "-t",
            "8",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        communicate = asyncio.ensure_future(process.communicate())
        async with asyncio.timeout(10):
            while not (handler.calls and handler.calls[0].ended.is_set()) and not communicate.done():  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # baresip runs until -t: stop it once the call is over
        await asyncio.sleep(0.3)
        if process.returncode is None:
            process.terminate()
        output, _ = await asyncio.wait_for(communicate, 5)
        log = output.decode(errors="replace")[-3000:]
        assert len(handler.calls) == 1, log
        call = handler.calls[0]
        assert call.end_reason == "remote_bye", log
        speech = handler.voiced(call.call_id)
        assert 0.8 <= len(speech) / 16000 <= 1.1 and abs(dominant_hz(speech) - 700) < 15, log
        await server.close()
        heard_files = list(recordings.glob("*-dec.wav"))
        assert heard_files, log
        with wave.open(str(heard_files[0])) as recording:
            heard = np.frombuffer(recording.readframes(recording.getnframes()), dtype="<i2")
        frames = heard[: heard.size // 160 * 160].reshape(-1, 160)
        loud = frames[np.abs(frames).max(axis=1) > 1600]
        assert 20 <= len(loud) <= 30, log  # the 0.5 s greeting
        assert abs(dominant_hz(loud.astype("<i2").tobytes()) - 440) < 15

    asyncio.run(asyncio.wait_for(main(), 30))
