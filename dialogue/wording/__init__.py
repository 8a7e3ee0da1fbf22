"""dialogue/wording."""
