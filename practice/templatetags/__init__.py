"""Template tags of the practice app."""
