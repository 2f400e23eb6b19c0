"""Tools for developers, tests, benchmarks and the demo: never imported by product code.

The demo, a launcher for a real central, a virtual display, a throwaway
PostgreSQL server, and the builders that make bookings, services and kiosks
in central's own formats. Not installed with the product (pyproject.toml
packages only contract, central, kiosk, hardware and provisioning).
"""
