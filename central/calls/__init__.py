"""Video calls: queue and presence, the Janus room of each call, TURN credentials,
documents and chat. The HTTP routes are in central/api/desk.py (officials),
central/api/kiosk_calls.py (kiosks) and central/api/officials.py (admins)."""
