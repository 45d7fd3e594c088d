"""Models of the cachemgr app."""
