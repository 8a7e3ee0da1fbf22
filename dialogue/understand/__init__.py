"""Language understanding: plain functions from a caller's words (or keys) to a value or `None`.

`text` normalises what recognition wrote; `intents`, `yesno`, `choices`, `motifs`, `names`, `practitioners`,
`phone` and `when/` (dates and times) each read one kind of answer; `lexicon` holds shared word lists;
`turn_end` says whether words sound finished. Nothing here reads the clock: `now` is an argument.
"""
