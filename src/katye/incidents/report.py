"""The account of what happened to every input row."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import geopandas as gpd
import pandas as pd


@dataclass
class ReadReport:
    """Row accounting for one incident file.

    ``input_rows == accepted + outside + rejected``, always: every data row of the file
    is in exactly one of the three (an HDX hashtag row is a second header, not a row).
    """

    path: str
    layout: str
    input_rows: int
    accepted: int
    outside: int
    rejected: int
    rejected_by_reason: dict[str, int]
    row_unit: str = "line"
    encoding: str | None = None
    delimiter: str | None = None
    hxl_row: bool = False
    date_min: str | None = None
    date_max: str | None = None
    event_types: dict[str, int] = field(default_factory=dict)
    geo_precision: dict[str, int] = field(default_factory=dict)
    repaired_swapped: int = 0
    warnings: list[str] = field(default_factory=list)
    #: Events per location precision (exact, near, commune, region, unknown).
    location_precision: dict[str, int] = field(default_factory=dict)
    #: Events whose precision each rule changed (admin_name, commune_centre).
    precision_rules: dict[str, int] = field(default_factory=dict)
    #: The administrative names found as locations, with their counts (20 most frequent).
    admin_locations: dict[str, int] = field(default_factory=dict)
    #: Actor names not in the actor table (typed "other"), with their counts.
    unknown_actors: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """True when the three buckets add up to the input rows."""
        return self.accepted + self.outside + self.rejected == self.input_rows

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        out = asdict(self)
        out["balanced"] = self.balanced
        return out

    def lines(self) -> list[str]:
        """The report as lines of text, for the terminal."""
        out = [
            f"{self.path}: {self.layout}, {self.input_rows:,} rows",
            f"  accepted, in the study area:   {self.accepted:,}",
            f"  accepted, outside study area:  {self.outside:,}",
            f"  rejected:                      {self.rejected:,}",
        ]
        for reason, count in self.rejected_by_reason.items():
            out.append(f"    {reason}: {count:,}")
        if self.date_min:
            out.append(f"  dates: {self.date_min} to {self.date_max}")
        if self.event_types:
            out.append("  event types: " + ", ".join(f"{k} {v:,}" for k, v in self.event_types.items()))
        if self.location_precision:
            out.append("  location precision: " + ", ".join(f"{k} {v:,}" for k, v in self.location_precision.items()))
        if self.precision_rules:
            out.append(
                "  changed by rule: "
                + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in self.precision_rules.items())
            )
        out += [f"  warning: {w}" for w in self.warnings]
        return out


@dataclass
class IncidentRead:
    """What :func:`katye.read_incidents` returns: unpack as ``incidents, rejected, report``."""

    incidents: gpd.GeoDataFrame
    rejected: pd.DataFrame
    report: ReadReport

    def __iter__(self):
        return iter((self.incidents, self.rejected, self.report))

    def __getitem__(self, index):
        # As the tuple it unpacks like: read_incidents(path)[0] is the incidents.
        return (self.incidents, self.rejected, self.report)[index]

    def __len__(self) -> int:
        return 3
