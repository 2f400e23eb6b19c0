"""PTV gives coordinates in ETRS-TM35FIN (EPSG:3067: northing as `latitude`, easting as
`longitude`); maps and kiosks want WGS84 degrees.

The inverse transverse Mercator on GRS80 with Krüger's series to the third order (as in
the JHS 154 recommendation), good to well under a millimetre inside Finland. Written out
rather than depending on PROJ: central needs this one projection only; the tests compare it
with PROJ (pyproj).
"""

from __future__ import annotations

import math

A = 6378137.0
F = 1 / 298.257222101  # GRS80
K0 = 0.9996
LON0 = math.radians(27.0)
FALSE_EASTING = 500000.0

_N = F / (2 - F)
_A1 = A / (1 + _N) * (1 + _N**2 / 4 + _N**4 / 64)
_BETA = (
    _N / 2 - 2 * _N**2 / 3 + 37 * _N**3 / 96,
    _N**2 / 48 + _N**3 / 15,
    17 * _N**3 / 480,
)
_DELTA = (
    2 * _N - 2 * _N**2 / 3 - 2 * _N**3,
    7 * _N**2 / 3 - 8 * _N**3 / 5,
    56 * _N**3 / 15,
)


def tm35fin_to_wgs84(northing: float, easting: float) -> tuple[float, float]:
    """(latitude, longitude) in degrees of an EPSG:3067 point."""
    xi = northing / (K0 * _A1)
    eta = (easting - FALSE_EASTING) / (K0 * _A1)
    xi_p, eta_p = xi, eta
    for j, beta in enumerate(_BETA, start=1):
        xi_p -= beta * math.sin(2 * j * xi) * math.cosh(2 * j * eta)
        eta_p -= beta * math.cos(2 * j * xi) * math.sinh(2 * j * eta)
    chi = math.asin(math.sin(xi_p) / math.cosh(eta_p))
    phi = chi + sum(d * math.sin(2 * j * chi) for j, d in enumerate(_DELTA, start=1))
    lam = LON0 + math.atan2(math.sinh(eta_p), math.cos(xi_p))
    return math.degrees(phi), math.degrees(lam)


# Finland and its sea area in EPSG:3067, with a margin: anything else is not TM35FIN.
_NORTHING = (6_500_000.0, 7_900_000.0)
_EASTING = (-100_000.0, 900_000.0)


def wgs84_of(latitude: object, longitude: object) -> tuple[float, float] | None:
    """PTV's coordinate pair (strings, TM35FIN) in WGS84, rounded to 6 decimals (~0.1 m);
    None when missing or outside Finland's TM35FIN range (then no point is better than a
    wrong one)."""
    try:
        northing, easting = float(str(latitude)), float(str(longitude))
    except ValueError:
        return None
    if not (_NORTHING[0] <= northing <= _NORTHING[1] and _EASTING[0] <= easting <= _EASTING[1]):
        return None
    lat, lon = tm35fin_to_wgs84(northing, easting)
    return round(lat, 6), round(lon, 6)
