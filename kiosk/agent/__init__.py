"""kiosk-agent: the headless daemon that talks to central (sync, outbox, heartbeat, commands)."""
