"""Bookings at the kiosk: check-ins and booking codes."""
