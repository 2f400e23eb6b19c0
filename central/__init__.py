"""Palvelupiste central: the server that kiosks, admins and booking systems talk to."""

from contract.release import VERSION as __version__

__all__ = ["__version__"]
