"""Usage data: events taken from kiosks, daily counts, the programme's reports, and retention."""
