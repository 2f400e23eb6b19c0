"""Device drivers behind one small device model (DESIGN.md §4)."""
