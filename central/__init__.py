"""Palvelupiste central: the server that kiosks, admins and booking systems talk to."""

__version__ = "0.1.0"
