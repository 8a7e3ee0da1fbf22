"""voicebot: the composition root — CLI, settings, simulators and server wiring the other packages."""
