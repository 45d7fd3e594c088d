"""Admin of the monitoring app."""
