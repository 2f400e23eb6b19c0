"""The service catalogue beside PTV: imports from files, each site's overlay, and the
change log kiosks sync from."""
