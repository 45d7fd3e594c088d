"""Admin of the cachemgr app."""
