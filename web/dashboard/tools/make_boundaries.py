"""Writes src/data/north-vietnam-adm1.json: the provinces of northern Vietnam (every ADM1 unit
reaching north of 19.8°N) from geoBoundaries' simplified VNM ADM1 file (CC BY 4.0), coordinates
rounded to 0.01° (about 1 km) with repeated points dropped. Run once by hand:

    python3 web/dashboard/tools/make_boundaries.py ../shared/data/vn-boundaries/geoBoundaries-VNM-ADM1_simplified.geojson
"""

import json
import sys
from pathlib import Path

NORTH_OF = 19.8
STEP = 100  # 1 / 0.01°


def ring(points: list[list[float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for lon, lat in points:
        p = [round(lon * STEP) / STEP, round(lat * STEP) / STEP]
        if not out or out[-1] != p:
            out.append(p)
    return out if len(out) >= 4 else []


def polygons(geometry: dict) -> list:
    parts = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    kept = []
    for part in parts:
        rings = [r for r in (ring(x) for x in part) if r]
        if rings:
            kept.append(rings)
    return kept


def main(source: str) -> None:
    data = json.loads(Path(source).read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        parts = polygons(feature["geometry"])
        if not parts or max(p[1] for part in parts for p in part[0]) <= NORTH_OF:
            continue
        features.append({"type": "Feature", "properties": {
            "name": feature["properties"]["shapeName"].strip(), "iso": feature["properties"]["shapeISO"]},
            "geometry": {"type": "MultiPolygon", "coordinates": parts}})
    out = {"type": "FeatureCollection", "source": "geoBoundaries VNM ADM1 (simplified), CC BY 4.0",
           "features": sorted(features, key=lambda f: f["properties"]["name"])}
    target = Path(__file__).resolve().parent.parent / "src" / "data" / "north-vietnam-adm1.json"
    target.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{target}: {len(features)} provinces, {target.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
