"""The conversation's parts: each module asks some questions and handles their answers.

A handler takes `(state, heard, ctx)` and returns the new state and actions, or `None` when it did not
understand the answer (the machine then re-prompts). Questions are asked with `common.ask`.
"""
