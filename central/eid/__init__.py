"""The pages the citizen's phone opens from a kiosk's QR code (strong identification)."""
