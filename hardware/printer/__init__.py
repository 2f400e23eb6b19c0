"""Receipt printers (ESC/POS over serial or TCP)."""
