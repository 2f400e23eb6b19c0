"""Palvelupiste kiosk: the device side (state.db, agent, UI)."""
