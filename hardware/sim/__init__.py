"""Simulated devices for the demo and UI tests: the real drivers talking to simulated peers.

Each simulation sits at the far end of the real transport (a pty, a socket,
SANE's own test backend, a video file), so the driver code that runs in the
demo is the code that runs on a kiosk.
"""
