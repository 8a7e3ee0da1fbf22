"""The developers' simulators: callers that are programs, talking to the real bot.

`chat` plays a caller in text against the dialogue (`voicebot chat`). `carrier`'s `CallerScript` plays a scripted
or typed caller (`caller_lines`) on a phone line: the simulated Twilio call of `voicebot call`
(`telephony.twilio.sim`) or the SIP call of `voicebot softphone` (`softphone`), both caller sides of
`telephony.caller_side`. `caller_audio` cuts the bot's audio into turns, records both sides, and loads the
caller's voice (Kokoro) and ear (Whisper).
"""
