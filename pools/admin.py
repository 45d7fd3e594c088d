"""Admin of the pools app."""
