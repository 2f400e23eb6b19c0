"""Where a point of Finland falls on the console's site map: one projection for the
outline (drawn once, shipped) and for the sites (placed per page), so they agree.

Equirectangular with longitudes shortened by cos(64°), Finland's middle latitude: at
this size, no map library or tile server is needed, and distances look right enough to
recognise a region."""

from __future__ import annotations

import math

WEST, EAST, SOUTH, NORTH = 19.0, 31.8, 59.6, 70.2  # degrees: Finland and its sea
PIXELS_PER_DEGREE = 60.0
SQUEEZE = math.cos(math.radians(64.0))
WIDTH = round((EAST - WEST) * SQUEEZE * PIXELS_PER_DEGREE)
HEIGHT = round((NORTH - SOUTH) * PIXELS_PER_DEGREE)


def project(latitude: float, longitude: float) -> tuple[float, float]:
    """(x, y) on the map, y downwards; points outside Finland fall outside the box."""
    x = (longitude - WEST) * SQUEEZE * PIXELS_PER_DEGREE
    y = (NORTH - latitude) * PIXELS_PER_DEGREE
    return round(x, 1), round(y, 1)


def inside(latitude: float, longitude: float) -> bool:
    return SOUTH <= latitude <= NORTH and WEST <= longitude <= EAST
