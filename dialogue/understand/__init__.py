"""dialogue/understand."""
