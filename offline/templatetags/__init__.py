"""Template tags of the offline app."""
