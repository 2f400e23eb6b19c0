"""Write Finland's outline for the console's site map from Natural Earth's countries
(world-atlas's TopoJSON, public domain data): `python -m devtools.finland_outline
countries-50m.json`. The path is committed (central/console/map/finland.path), so the
console needs no map data, library or tile server at run time."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from central.console.map.projection import project

OUT = Path(__file__).parents[1] / "central" / "console" / "map" / "finland.path"
FINLAND = "246"  # ISO 3166-1 numeric
MIN_STEP = 0.8  # pixels: closer points add bytes, not shape


def arcs_of(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """TopoJSON's quantised, delta-encoded arcs as (longitude, latitude) points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)
    return points


def path_of(topology: dict[str, Any]) -> str:
    arcs = arcs_of(topology)
    geometry = next(
        g for g in topology["objects"]["countries"]["geometries"] if str(g.get("id")) == FINLAND
    )
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    parts = []
    for polygon in polygons:
        for indexes in polygon:
            drawn: list[tuple[float, float]] = []
            for lon, lat in ring(arcs, indexes):
                x, y = project(lat, lon)
                if not drawn or abs(x - drawn[-1][0]) + abs(y - drawn[-1][1]) >= MIN_STEP:
                    drawn.append((x, y))
            if len(drawn) >= 3:
                parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in drawn) + "Z")
    return "".join(parts)


if __name__ == "__main__":
    OUT.write_text(path_of(json.loads(Path(sys.argv[1]).read_text())) + "\n")
    print(f"{OUT}: {OUT.stat().st_size} bytes")
