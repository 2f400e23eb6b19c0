"""What central and kiosks must agree on, in one stdlib-only package.

Both sides import it; it imports neither. Keeping it free of third-party
packages keeps it cheap for the kiosk UI's start-up and safe to ship in the
kiosk image without any server code.
"""
