"""Models of the pools app."""
