"""Payment terminals the kiosk drives; the kiosk never sees card data."""
