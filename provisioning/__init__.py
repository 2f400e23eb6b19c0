"""Field technicians' tools: enrol a kiosk, prove its hardware works, zero-touch first boot."""
