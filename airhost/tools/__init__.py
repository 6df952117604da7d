"""Seams to the external programs airhost drives, usable by local and cloud code alike."""
