"""The callers of `voicebot bench soak`, in a process of their own (their CPU is not the server's).

Run as `python -m voicebot.bench.soak_callers`: one JSON job on stdin (`soak_calls`), one JSON line on stdout per
call placed (`{"event": "placed", "call_sid": ...}`) and ended (`{"event": "ended", ...}`: `voicebot.bench.caller`'s
`CallResult`, or `cut_off`), then `{"event": "done", ...}`. The calls are `voicebot.bench.caller`'s.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from voicebot.bench.caller import CallJob, CallResult, load_lines, place_call

if TYPE_CHECKING:
    from telephony.twilio.sim.fake_rest import FakeTwilio

PlaceCall = Callable[[CallJob, list[bytes], dict[str, Any], Callable[[str], object]], Awaitable[CallResult]]
"""`voicebot.bench.caller.place_call`'s shape: one call from start to hang-up."""
Emit = Callable[[dict[str, Any]], None]


async def _soak_call(
    place: PlaceCall, job: CallJob, script: list[bytes], calls: dict[str, Any], fake: FakeTwilio, emit: Emit
) -> None:
    """One call, reported when placed and when ended (also when cut off)."""
    sids: list[str] = []

    def register(call_sid: str) -> None:
        sids.append(call_sid)
        fake.add_call(call_sid, from_="+33612345678")
        emit({"event": "placed", "call_sid": call_sid})

    try:
        result = await place(job, script, calls, register)
    except asyncio.CancelledError:
        if sids:
            emit({"event": "ended", "call_sid": sids[0], "cut_off": True, "error": "cut off at the drain limit"})
        raise
    emit({"event": "ended", **asdict(result)})


async def soak_calls(job: dict[str, Any], emit: Emit, place: PlaceCall = place_call) -> None:
    """Keep `job["concurrency"]` calls in progress, a new one as soon as one ends, until `job["until"]` (Unix time),
    then let them finish for at most `job["drain_seconds"]` (the rest are cut off); `emit` each call placed and
    ended, then the totals. The first calls start `job["spread"]` seconds apart in all (3 unless told).
    """
    from telephony.twilio.sim.fake_rest import FakeTwilio

    scripts: list[list[str]] = job["scripts"]
    concurrency: int = job["concurrency"]
    lines = load_lines([path for script in scripts for path in script])
    call_job = CallJob(
        job["server_url"],
        job["account_sid"],
        job["auth_token"],
        job["api_port"],
        scripts,
        0,
        concurrency,
        turn_gap=job["turn_gap"],
        answer_timeout=job["answer_timeout"],
        spread=job.get("spread", 3.0),
    )
    calls: dict[str, Any] = {}

    def on_update(sid: str, form: dict[str, str]) -> None:
        if sid in calls:
            calls[sid].on_rest_update(sid, form)

    fake = FakeTwilio(job["account_sid"], job["auth_token"], port=job["api_port"], on_update=on_update)
    await fake.start()
    numbers = itertools.count()
    cpu, wall = time.process_time(), time.monotonic()

    async def slot(index: int) -> None:
        await asyncio.sleep(index * call_job.spread / concurrency)
        while time.time() < job["until"]:
            script = [lines[path] for path in scripts[next(numbers) % len(scripts)]]
            await _soak_call(place, call_job, script, calls, fake, emit)

    slots = [asyncio.create_task(slot(index)) for index in range(concurrency)]
    _, late = await asyncio.wait(slots, timeout=max(job["until"] - time.time(), 0) + job["drain_seconds"])
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    await fake.close()
    emit(
        {
            "event": "done",
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "wall_seconds": round(time.monotonic() - wall, 2),
        }
    )


def main() -> None:
    """The callers' process: one JSON job on stdin, one JSON line per event on stdout."""
    job = json.loads(sys.stdin.read())

    def emit(event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    asyncio.run(soak_calls(job, emit))


if __name__ == "__main__":
    main()
