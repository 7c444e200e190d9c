"""Pure helpers below ``forms/`` and ``models/``: text and number parsing, ID numbers, pinyin, paths,
atomic file writes and their leftovers, and the errors a user can act on. Nothing here imports from
``forms``, ``models``, ``cli`` or ``ui``."""
