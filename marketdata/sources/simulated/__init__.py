"""The simulated backend (alias `simulated`): a deterministic A-share market for a seed."""

from marketdata.sources.simulated.source import SimulatedSource

__all__ = ["SimulatedSource"]
