"""Document scanners through SANE."""
