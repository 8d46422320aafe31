import math

from app.domain import geo


def test_haversine_on_known_distances():
    assert geo.distance_m(0.0, 0.0, 0.0, 0.0) == 0
    assert geo.distance_m(0.0, 0.0, 1.0, 0.0) == 111195  # one degree of latitude on the mean sphere
    assert geo.distance_m(0.0, 0.0, 0.0, 1.0) == 111195  # one degree of longitude on the equator
    # Beijing (Tiananmen) to Taiyuan, about 400 km
    assert 399_000 < geo.distance_m(39.9075, 116.3972, 37.8706, 112.5489) < 403_000
    assert math.isclose(geo.haversine_m(35.0, 111.0, 36.0, 112.0), geo.haversine_m(36.0, 112.0, 35.0, 111.0))


def test_valid_points():
    assert geo.is_valid_point(35.8765, 111.4421)
    assert geo.is_valid_point(-90, 180)
    assert not geo.is_valid_point(90.01, 0)
    assert not geo.is_valid_point(0, -180.5)
    assert not geo.is_valid_point(float("nan"), 0)
    assert not geo.is_valid_point(True, 0)
    assert not geo.is_valid_point("35", 111)


def test_track_legs_and_total():
    points = [(35.0, 111.0), (35.001, 111.0), (35.001, 111.0), (35.003, 111.0)]
    legs = geo.track_legs(points)
    assert [leg.metres for leg in legs] == [0, 111, 0, 222]
    assert [leg.cumulative_m for leg in legs] == [0, 111, 111, 333]
    assert geo.track_length_m(points) == 333
    assert geo.track_legs([]) == [] and geo.track_length_m([]) == 0


def test_format_distance():
    assert geo.format_distance(850) == "850 米"
    assert geo.format_distance(1000) == "1.0 公里"
    assert geo.format_distance(3249) == "3.2 公里"
    assert geo.format_distance(3250) == "3.3 公里"
    assert geo.format_distance(None) == "—"
