"""What every app shares and nothing above it: the bottom layer of the import graph (no app imports here)."""
