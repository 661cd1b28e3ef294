"""Users bring their own area layers in any format and CRS."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

import katye
from katye import geodata
from katye.errors import CRSError, InputError, UsageError


def squares(crs="EPSG:4326"):
    """Three unit-ish squares around Port-au-Prince, ids a/b/c."""
    boxes = [shapely.box(-72.34 + i * 0.01, 18.54, -72.33 + i * 0.01, 18.55) for i in range(3)]
    frame = gpd.GeoDataFrame(
        {"code": ["a", "b", "c"], "label": ["Bèl Air", "Solino", "Kafou"]}, geometry=boxes, crs="EPSG:4326"
    )
    return frame.to_crs(crs)


def _same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    assert list(a.zone_id) == list(b.zone_id)
    for ga, gb in zip(a.to_crs(32618).geometry, b.to_crs(32618).geometry, strict=True):
        assert ga.hausdorff_distance(gb) < 0.01  # centimetres: reprojection round-off only


@pytest.mark.parametrize(
    ("suffix", "crs"),
    [
        (".geojson", "EPSG:4326"),
        (".gpkg", "EPSG:32618"),
        (".shp", "EPSG:3857"),
        (".parquet", "EPSG:32618"),
    ],
)
def test_any_format_and_crs_gives_the_same_geometries(tmp_path, suffix, crs):
    path = tmp_path / f"areas{suffix}"
    frame = squares(crs)
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path)
    areas = geodata.read_areas(path, id_column="code", name_column="label")
    assert areas.crs.to_epsg() == 4326
    assert list(areas.columns[:2]) == ["zone_id", "name"]
    assert list(areas.name) == ["Bèl Air", "Solino", "Kafou"]
    _same(areas, geodata.read_areas(_ref(tmp_path), id_column="code"))


def _ref(tmp_path):
    path = tmp_path / "reference.geojson"
    squares().to_file(path)
    return path


def test_shipped_zones_round_trip_through_a_user_file(tmp_path):
    path = tmp_path / "zones_utm.gpkg"
    geodata.zones().to_crs(32618).to_file(path)
    areas = geodata.read_areas(path, id_column="zone_id", name_column="name")
    assert list(areas.zone_id) == list(geodata.zones().zone_id)
    assert "Pétion-Ville" in set(areas.name)


def test_a_file_without_crs_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "nocrs.shp"
    squares("EPSG:32618").to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"nocrs\.shp.*no coordinate reference system.*crs='EPSG"):
        geodata.read_areas(path, id_column="code")
    areas = geodata.read_areas(path, id_column="code", crs="EPSG:32618")
    _same(areas, geodata.read_areas(_ref(tmp_path), id_column="code"))


def test_invalid_polygons_are_repaired_with_a_warning_naming_them(tmp_path):
    bowtie = shapely.Polygon([(-72.30, 18.50), (-72.29, 18.51), (-72.29, 18.50), (-72.30, 18.51)])
    frame = squares()
    frame.loc[1, "geometry"] = bowtie
    path = tmp_path / "bad.geojson"
    frame.to_file(path)
    with pytest.warns(UserWarning, match=r"repaired invalid polygons of areas b\b"):
        areas = geodata.read_areas(path, id_column="code")
    assert areas.is_valid.all()
    assert areas.geometry.iloc[1].area == pytest.approx(bowtie.buffer(0).area * 2, rel=0.01)


def test_duplicate_ids_are_refused(tmp_path):
    frame = squares()
    frame.loc[2, "code"] = "a"
    path = tmp_path / "dupes.geojson"
    frame.to_file(path)
    with pytest.raises(InputError, match=r"dupes\.geojson.*duplicate ids \(a\)"):
        geodata.read_areas(path, id_column="code")


def test_missing_column_lists_the_columns_there_are(tmp_path):
    path = _ref(tmp_path)
    with pytest.raises(InputError, match=r"no column 'quartier'.*code, label"):
        geodata.read_areas(path, id_column="quartier")


def test_points_are_not_areas(tmp_path):
    frame = squares()
    frame["geometry"] = frame.representative_point()
    path = tmp_path / "points.geojson"
    frame.to_file(path)
    with pytest.raises(InputError, match="must be polygons; a, b, c are Point"):
        geodata.read_areas(path, id_column="code")


def test_missing_file_and_unreadable_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        geodata.read_areas(tmp_path / "nope.geojson", id_column="id")
    junk = tmp_path / "junk.geojson"
    junk.write_text("this is not json")
    with pytest.raises(InputError, match=r"junk\.geojson: katye could not read"):
        geodata.read_areas(junk, id_column="id")


def test_the_callers_file_is_not_changed(tmp_path):
    path = _ref(tmp_path)
    before = path.read_bytes()
    geodata.read_areas(path, id_column="code")
    assert path.read_bytes() == before


def test_every_analysis_takes_zones_through_one_resolver():
    from katye.geodata import resolve_zones

    layer = gpd.GeoDataFrame(
        {"zone_id": [2, 1]},
        geometry=[shapely.box(-72.34, 18.53, -72.33, 18.54), shapely.box(-72.33, 18.53, -72.32, 18.54)],
        crs=4326,
    )
    resolved = resolve_zones(layer)
    assert list(resolved["zone_id"]) == ["1", "2"]
    assert list(resolved["name"]) == ["1", "2"]
    assert resolved["area_km2"].between(1.0, 1.3).all()
    assert list(layer["zone_id"]) == [2, 1]  # the caller's frame is untouched
    with pytest.raises(InputError, match="appear more than once"):
        resolve_zones(layer.assign(zone_id=["a", "a"]))
    with pytest.raises(UsageError, match="expected a GeoDataFrame"):
        resolve_zones(layer.drop(columns="geometry"))
    shipped = resolve_zones()
    assert shipped["zone_id"].is_monotonic_increasing
    assert len(shipped) == len(geodata.zones())


def test_zones_without_geometry_or_with_none_are_refused_by_name():
    zones = katye.geodata.zones()[["zone_id", "name", "geometry"]].head(4).copy()
    shapeless = zones.copy()
    shapeless.loc[shapeless.index[1], "geometry"] = None
    shapeless.loc[shapeless.index[2], "geometry"] = shapely.Polygon()
    with pytest.raises(InputError, match="no geometry") as error:
        katye.geodata.resolve_zones(shapeless)
    assert set(shapeless["zone_id"].iloc[1:3]) <= set(str(error.value).replace(",", " ").split())
    with pytest.raises(InputError, match="holds no zone"):
        katye.geodata.resolve_zones(zones.iloc[:0])
    incidents = katye.read_incidents(katye.samples.path()).incidents.head(20)
    with pytest.raises(InputError, match="no geometry"):
        katye.assign(incidents, shapeless)
