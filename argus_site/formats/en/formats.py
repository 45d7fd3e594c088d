"""Dates and times as the admin and console print them: ISO-like, with the zone's name and offset."""

DATETIME_FORMAT = "Y-m-d H:i:s T (O)"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s T (O)"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
