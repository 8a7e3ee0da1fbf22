"""What the agent says: the phrases of each locale (`locales/fr.toml`, `locales/en.toml`, read by `phrases`) and
the spoken forms of dates, times, names and numbers (`spoken`: "mardi 8 décembre à 10 h 30").
"""
