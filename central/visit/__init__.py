"""/visit/: a booked video appointment from home, in the citizen's own browser."""
