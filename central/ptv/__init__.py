"""The Finnish Service Catalogue (PTV): its v11 documents as kiosk items, and fetching them.

texts (localized values), hours (opening hours), coordinates (EPSG:3067 → WGS84),
channels and services (the join and the kiosk item), documents (import bodies),
client (the Open API over HTTP) and sync (an organisation's services into central).
"""

from central.ptv.documents import Documents, read, read_directory
from central.ptv.services import content_hash, parse_service, service_name
from central.ptv.texts import InvalidService

__all__ = [
    "Documents",
    "InvalidService",
    "content_hash",
    "parse_service",
    "read",
    "read_directory",
    "service_name",
]
