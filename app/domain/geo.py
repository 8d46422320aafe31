"""Distances on the earth for the visit flow: where the officer is, how far from the village, the day's track.

Coordinates are WGS-84 degrees as the browser's geolocation gives them. These are measurements,
not money: floats are fine here. Distances are whole metres (rounded half-up at the edge).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def is_valid_point(lat: object, lng: object) -> bool:
    """A finite latitude in [-90, 90] and longitude in [-180, 180] (bools and strings are not numbers)."""
    for value, limit in ((lat, 90.0), (lng, 180.0)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if not math.isfinite(value) or not -limit <= value <= limit:
            return False
    return True


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two points (haversine formula)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    """The haversine distance as whole metres."""
    return int(haversine_m(lat1, lng1, lat2, lng2) + 0.5)


@dataclass(frozen=True, slots=True)
class Leg:
    """One step of a track: from the previous point to this one."""

    index: int  # the point's position in the track (0 = the first point, which has no leg)
    metres: int  # distance from the previous point (0 for the first)
    cumulative_m: int


def track_legs(points: Sequence[tuple[float, float]]) -> list[Leg]:
    """Per point: the distance from the previous one and the running total (points in time order)."""
    legs: list[Leg] = []
    total = 0
    previous: tuple[float, float] | None = None
    for index, (lat, lng) in enumerate(points):
        step = 0 if previous is None else distance_m(previous[0], previous[1], lat, lng)
        total += step
        legs.append(Leg(index=index, metres=step, cumulative_m=total))
        previous = (lat, lng)
    return legs


def track_length_m(points: Sequence[tuple[float, float]]) -> int:
    legs = track_legs(points)
    return legs[-1].cumulative_m if legs else 0


def format_distance(metres: int | None) -> str:
    """For people: 850 米 / 3.2 公里 (one decimal)."""
    if metres is None:
        return "—"
    if metres < 1000:
        return f"{metres} 米"
    tenths = (metres + 50) // 100
    return f"{tenths // 10}.{tenths % 10} 公里"
