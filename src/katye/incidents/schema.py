"""The canonical incident schema and the ACLED layouts katye recognises."""

from __future__ import annotations

#: Canonical columns, in order. Extra input columns follow them, unchanged.
CANONICAL = (
    "event_id",
    "event_date",
    "date_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "fatalities",
    "location",
    "geo_precision",
    "source",
    "notes",
    "latitude",
    "longitude",
)
#: Columns katye derives, inserted after the canonical field they explain (not mappable with ``columns=``).
DERIVED = {
    "actor2": ("actor1_kind", "actor2_kind"),
    "geo_precision": ("location_precision", "precision_basis"),
}
#: The file's own text, kept beside the normalised canonical value.
ORIGINALS = ("event_type_original", "actor1_original", "actor2_original")


def output_columns() -> tuple[str, ...]:
    """The leading columns of :func:`katye.read_incidents`' result, in order."""
    out: list[str] = []
    for name in CANONICAL:
        out += [name, *DERIVED.get(name, ())]
    return (*out, *ORIGINALS)


#: Column names katye writes itself; a file's own column of that name is kept as ``<name>_input``.
RESERVED = (*CANONICAL, *(c for names in DERIVED.values() for c in names), *ORIGINALS, "in_study_area", "line")
TEXT_COLUMNS = ("event_type", "sub_event_type", "actor1", "actor2", "location", "source", "notes")

#: ACLED's current export (since March 2023): 31 columns.
ACLED_CURRENT = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
#: ACLED's export before March 2023: also 31 columns, with data_id, event_id_no_cnty and iso3,
#: and numeric inter1/inter2/interaction codes.
ACLED_PRE_2023 = (
    "data_id",
    "iso",
    "event_id_cnty",
    "event_id_no_cnty",
    "event_date",
    "year",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "timestamp",
    "iso3",
)
#: The columns that make a file an ACLED export, whatever its vintage or header case.
#: Real exports come without event_id_cnty (or geo_precision) when columns were left out at download.
ACLED_SIGNATURE = ("event_date", "latitude", "longitude", "event_type", "sub_event_type", "actor1")

#: ACLED column → canonical column.
ACLED_MAP = {
    "event_id_cnty": "event_id",
    "event_date": "event_date",
    "time_precision": "date_precision",
    "event_type": "event_type",
    "sub_event_type": "sub_event_type",
    "actor1": "actor1",
    "actor2": "actor2",
    "fatalities": "fatalities",
    "location": "location",
    "geo_precision": "geo_precision",
    "source": "source",
    "notes": "notes",
    "latitude": "latitude",
    "longitude": "longitude",
}

#: Names katye tries, in order, for each canonical field of a non-ACLED file.
GENERIC_NAMES = {
    "event_id": ("event_id", "id", "incident_id", "uid", "event_id_cnty"),
    "event_date": ("event_date", "date", "incident_date", "datetime", "day"),
    "date_precision": ("date_precision", "time_precision"),
    "event_type": ("event_type", "type", "category", "incident_type"),
    "sub_event_type": ("sub_event_type", "subtype", "sub_type"),
    "actor1": ("actor1", "actor_1", "actor", "perpetrator"),
    "actor2": ("actor2", "actor_2", "target", "victim"),
    "fatalities": ("fatalities", "deaths", "killed", "dead"),
    "location": ("location", "place", "neighbourhood", "neighborhood", "quartier"),
    "geo_precision": ("geo_precision", "location_precision"),
    "source": ("source", "sources"),
    "notes": ("notes", "description", "summary", "note"),
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "x"),
}

#: Rejection reasons, in the order katye checks them (strict mode stops at the first).
REASONS = {
    "missing_coordinates": "missing coordinates",
    "non_numeric_coordinates": "coordinates are not numbers",
    "null_island": "coordinates are (0, 0)",
    "out_of_range": "latitude or longitude out of range",
    "swapped": "latitude and longitude swapped",
    "not_a_point": "geometry is not a point",
    "bad_date": "date could not be read",
    "implausible_date": "date before 1900 or after 2100 (a mistyped year?)",
    "bad_fatalities": "fatalities is not a whole number",
    "negative_fatalities": "negative fatalities",
    "too_many_fatalities": "fatalities above 100,000",
    "bad_precision": "precision code is not 1, 2 or 3",
    "duplicate_id": "duplicate event id",
}
