"""`python -m tests.speech.quiet_voicebot ARGS` = `voicebot ARGS` with Piper's voices without noise.

The tests start `voicebot serve` this way, so the bot says each line with the same samples on every run.
"""

from tests.speech.shared import quiet_piper
from voicebot.cli import main

quiet_piper()
main()
