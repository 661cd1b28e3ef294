"""The ``katye`` command.

Exit codes: 0 success, 1 a usage error (bad option or argument), 2 an input file
katye cannot read or trust. Errors are printed as one message, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from katye.errors import KatyeError

if TYPE_CHECKING:
    from rich.console import Console

# The analysis modules (geopandas, scipy …), rich and even the version lookup are imported where
# they are used: `katye --help` and `katye --version` answer without loading them.

log = logging.getLogger("katye")


class KatyeGroup(click.Group):
    """A click group that turns errors into a message and katye's exit codes."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.UsageError as exc:  # click would exit 2, which katye keeps for bad input files
            exc.show()
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(1)
        except click.Abort:
            click.echo("katye: aborted", err=True)
            sys.exit(1)
        except KatyeError as exc:
            click.echo(f"katye: error: {safe_text(exc)}", err=True)
            sys.exit(exc.exit_code)
        sys.exit(0)


def _notices(ctx: click.Context) -> Console:
    """stderr, for notices and progress (silenced by --quiet)."""
    from rich.console import Console

    # soft_wrap: a notice is one line however narrow the terminal, so paths in it stay whole.
    return Console(stderr=True, quiet=ctx.find_root().params.get("quiet", False), soft_wrap=True)


def _console(ctx: click.Context, *, status: bool = True) -> Console:
    """A console for status lines (silenced by --quiet) or, with status=False, for results."""
    from rich.console import Console

    quiet = status and ctx.find_root().params.get("quiet", False)
    return Console(quiet=quiet, highlight=False, soft_wrap=True)


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """--version: the installed version, looked up only when asked."""
    if not value or ctx.resilient_parsing:
        return
    from katye import __version__

    click.echo(f"katye {__version__}")
    ctx.exit()


@click.group(cls=KatyeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_print_version,
    help="Show the version and exit.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Log what katye does, to stderr.")
def main(quiet: bool, verbose: bool) -> None:
    """katye: map insecurity in Port-au-Prince from incident data.

    \b
    Examples:
      katye map -o katye-map.html
      katye validate acled_haiti_2024.csv
      katye geodata list
      katye geodata export zones -o zones.gpkg
    """
    _configure_logging(quiet=quiet, verbose=verbose)


def _configure_logging(*, quiet: bool, verbose: bool) -> None:
    level = logging.WARNING if not verbose else logging.INFO
    if quiet:
        level = logging.ERROR
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("katye: %(levelname)s: %(message)s"))
    log.handlers = [h for h in log.handlers if isinstance(h, logging.NullHandler)] + [handler]
    log.setLevel(level)
    # katye logs each of its warnings; Python's copy of the same warning would print it twice.
    # (Run as "python -m katye.cli", the CLI's module is __main__.)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(katye(\..*)?|__main__)$")
    # Libraries' own chatter about fonts and layers is not the user's business at the terminal.
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
    warnings.filterwarnings("ignore", message=r"More than one layer found")


class _SafeFormatter(logging.Formatter):
    """Log lines with control characters shown as escapes (a zone id from a file cannot drive the terminal)."""

    def format(self, record: logging.LogRecord) -> str:
        return safe_text(super().format(record))


def _late_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """-q/-v after a command name: the same as before it."""
    if value:
        root = ctx.find_root()
        root.params[param.name] = True
        _configure_logging(quiet=root.params.get("quiet", False), verbose=root.params.get("verbose", False))


def global_flags(command):
    """Accept -q/--quiet and -v/--verbose after the command name too."""
    command = click.option(
        "-v", "--verbose", is_flag=True, expose_value=False, callback=_late_flag, help="Log what katye does, to stderr."
    )(command)
    return click.option(
        "-q", "--quiet", is_flag=True, expose_value=False, callback=_late_flag, help="Print only errors."
    )(command)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    """Text from a file with its control characters shown as escapes: nothing in data drives the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


@contextmanager
def _working(ctx: click.Context, message: str):
    """A progress bar with elapsed time on stderr while a step runs (terminals only; not with --quiet).

    The steps (reading, joining, building a map) are single library calls whose remaining work
    cannot be measured, so the bar pulses rather than fills; the clock shows it is alive.
    """
    console = _notices(ctx)
    if not console.is_terminal or console.quiet:
        yield
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        progress.add_task(message, total=None)
        yield


def incident_options(command):
    """The options every command that reads an incident file shares."""
    options = [
        click.option("--lat", help="Latitude (or y) column, for files that are not ACLED exports."),
        click.option("--lon", help="Longitude (or x) column, for files that are not ACLED exports."),
        click.option("--date", "date_column", help="Event date column, for files that are not ACLED exports."),
        click.option("--id", "id_column", help="Event id column, for files that are not ACLED exports."),
        click.option("--crs", help="CRS of --lat/--lon when they are x/y in metres, e.g. EPSG:32618."),
        click.option(
            "--swapped",
            type=click.Choice(["repair", "reject"]),
            default="repair",
            show_default=True,
            help="What to do with rows whose latitude and longitude are the wrong way round.",
        ),
        click.option("--strict", is_flag=True, help="Stop at the first kind of bad row instead of setting rows aside."),
        click.option(
            "--precision",
            "precision_mode",
            type=click.Choice(["rules", "as-coded"]),
            default="rules",
            show_default=True,
            help="rules: a location that names only a commune (or a commune-centre point) is commune-"
            "precise whatever geo_precision says; as-coded: the file's geo_precision only.",
        ),
        click.option(
            "--default-precision",
            type=click.Choice(["exact", "near"]),
            help="Precision of events the file gives no geo_precision for (default: unknown, kept out "
            "of zone counts). Use exact for your own GPS-located data.",
        ),
        click.option(
            "--keep",
            "keep_columns",
            default="all",
            show_default=True,
            help="The file's other columns to carry beside katye's: all, none, or names separated by "
            "commas (e.g. admin1,interaction). Fewer columns, less memory on big files.",
        ),
        click.option(
            "--actors",
            "actors_path",
            type=click.Path(),  # katye.io checks it: a folder or a bad path is exit 2, as for any input
            metavar="FILE",
            help="Your own actor table (acled_name, actor, kind, coalition …) instead of the shipped one.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _path_or_sample(ctx: click.Context, path: str | None) -> str:
    from katye import samples

    if path is not None:
        return path
    sample = samples.path("acled")
    _notices(ctx).print(
        f"No incident file given: using katye's shipped sample {sample.name} "
        "(SYNTHETIC data in ACLED's layout, not real events).",
        markup=False,
    )
    return str(sample)


def _precision_notice(ctx: click.Context, result) -> None:
    """Say on stderr how many events stay out of zone counts, and why, for commands that count by zone."""
    counts = result.report.location_precision
    apart = {level: n for level, n in counts.items() if level != "exact" and n}
    if not apart:
        return
    total = sum(counts.values())
    detail = ", ".join(f"{n:,} {level}" for level, n in apart.items())
    hint = ""
    if apart.get("unknown") and any("no geo_precision column" in w for w in result.report.warnings):
        hint = " The file has no geo_precision column: add --default-precision exact if its points are exact."
    if not counts.get("exact"):
        hint = " No event is exactly located, so no zone has a count." + hint
    _notices(ctx).print(
        f"Note: {sum(apart.values()):,} of {total:,} events are located only approximately "
        f"({detail}) and are not in zone counts; katye validate {result.report.path} shows the rules "
        f"that decided it.{hint}",
        markup=False,
    )


def _read(ctx: click.Context, path: str, options: dict, *, zone_counts: bool = False):
    with _working(ctx, f"Reading {path}"):
        result = _read_file(path, options)
    if zone_counts:
        _precision_notice(ctx, result)
    return result


def _read_file(path: str, options: dict):
    from katye.incidents import read_incidents

    return read_incidents(
        path,
        lat=options["lat"],
        lon=options["lon"],
        date=options["date_column"],
        event_id=options["id_column"],
        crs=options["crs"],
        swapped=options["swapped"],
        strict=options["strict"],
        precision=options["precision_mode"],
        default_precision=options["default_precision"],
        actors=options["actors_path"],
        keep=_keep(options["keep_columns"]),
    )


def _keep(text: str):
    if text.strip().lower() == "all":
        return "all"
    if text.strip().lower() == "none":
        return []
    return [name.strip() for name in text.split(",") if name.strip()]


@main.command("validate")
@global_flags
@click.argument("path", type=click.Path(), required=False)
@click.option(
    "--rejected",
    "rejected_path",
    type=click.Path(dir_okay=False),
    help="Write the rejected rows, with line and reason, to this .csv file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@incident_options
@click.pass_context
def validate(ctx: click.Context, path: str | None, rejected_path: str | None, as_json: bool, **options) -> None:
    """Check an incident file and account for every row.

    Prints how many rows were accepted (inside and outside the study area) and rejected,
    by reason, the date range, the event types and warnings. Exits 0 when the file can be
    read (even with rejected rows), 2 when it cannot. With no PATH it checks katye's
    shipped synthetic sample.

    \b
    Examples:
      katye validate
      katye validate acled_haiti_2024.csv
      katye validate acled_haiti_2024.csv --rejected rejected.csv
      katye validate my_incidents.csv --lat y --lon x --crs EPSG:32618 --date day --json
    """
    from katye.output import refuse_overwriting_inputs, write_frame

    path = _path_or_sample(ctx, path)
    refuse_overwriting_inputs([rejected_path], [path, options["actors_path"]])
    result = _read(ctx, path, options)
    if rejected_path:
        write_frame(result.rejected, rejected_path)
    if as_json:
        click.echo(json.dumps(result.report.to_dict(), indent=2, ensure_ascii=False))
    else:
        console = _console(ctx, status=False)
        for line in result.report.lines():
            console.print(safe_text(line), markup=False)
    if rejected_path:
        _console(ctx).print(f"Wrote {len(result.rejected):,} rejected rows to {rejected_path}", markup=False)


def _zones_option(path: str | None, id_column: str, name_column: str | None):
    from katye import geodata as gazetteer

    if path is None:
        return None
    return gazetteer.read_areas(path, id_column=id_column, name_column=name_column)


zone_options = [
    click.option(
        "--zones",
        "zones_path",
        type=click.Path(),  # katye.io checks it: a folder or a bad path is exit 2, as for any input
        metavar="FILE",
        help="Your own zones (GeoJSON, GPKG, Shapefile, GeoParquet) instead of the shipped ones.",
    ),
    click.option("--zone-id", "zone_id_column", default="zone_id", show_default=True, help="The id column of --zones."),
    click.option("--zone-name", "zone_name_column", help="The name column of --zones."),
]


def with_zone_options(command):
    """The options of commands that take the user's own zones."""
    for option in reversed(zone_options):
        command = option(command)
    return command


@main.command("join")
@global_flags
@click.argument("incidents", type=click.Path(), required=False)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Target: .csv, .geojson, .gpkg or .parquet."
)
@with_zone_options
@incident_options
@click.pass_context
def join_command(ctx, incidents, output, zones_path, zone_id_column, zone_name_column, **options):
    """Attach every incident to its zone, section and commune, with distances to key sites.

    Adds zone_id, zone_name, section_pcode, commune_pcode, assignment (exact | coarse | outside),
    distance_m, and dist_<site>_m / within_<site>_<r>m for the airport, the MSS base and the
    US Embassy. With no INCIDENTS it uses the shipped synthetic sample.

    \b
    Examples:
      katye join acled_haiti_2024.csv -o joined.gpkg
      katye join acled_haiti_2024.csv -o joined.csv --zones quartiers.geojson --zone-id code
    """
    from katye.join import assign, near_sites
    from katye.output import refuse_overwriting_inputs, write_frame

    path = _path_or_sample(ctx, incidents)
    refuse_overwriting_inputs([output], [path, zones_path, options["actors_path"]])
    result = _read(ctx, path, options, zone_counts=True)
    zones = _zones_option(zones_path, zone_id_column, zone_name_column)
    with _working(ctx, "Joining"):
        joined = near_sites(assign(result.incidents, zones))
    write_frame(joined, output, layer="incidents")
    counts = joined["assignment"].value_counts()
    coarse = joined.loc[joined["assignment"] == "coarse", "location_precision"].astype(str).value_counts()
    detail = ", ".join(f"{n:,} {level}" for level, n in coarse.items())
    _console(ctx).print(
        f"Wrote {len(joined):,} incidents to {output}: {counts.get('exact', 0):,} in a zone, "
        f"{counts.get('coarse', 0):,} not in zone counts (located only approximately: {detail or 'none'}), "
        f"{counts.get('outside', 0):,} exact but outside every zone "
        f"({result.report.rejected:,} rows rejected on reading; run katye validate for details)",
        markup=False,
    )


#: Suffixes of population grids and tables that --population takes (anything else: a column of --zones).
GRID_SUFFIXES = (".tif", ".tiff", ".vrt", ".img")
TABLE_SUFFIXES = (".csv", ".txt")

population_option_list = [
    click.option(
        "--population",
        "population_source",
        metavar="FILE|COLUMN",
        help="People per zone, for --per population: a grid (.tif: WorldPop, HRSL), an official table per "
        "section or commune (.csv, COD-PS: ADM3_PCODE or ADM2_PCODE and T_TL), or a column of --zones. "
        'Grids need rasterio: pip install "katye[population]".',
    ),
    click.option(
        "--rescale-to",
        "rescale_to",
        type=click.Path(),
        metavar="FILE",
        help="An official table per section or commune (.csv) to rescale the --population grid to.",
    ),
    click.option(
        "--population-column",
        "population_column",
        metavar="NAME",
        help="The people column of a --population or --rescale-to table (default: T_TL, population, pop, total).",
    ),
]


def population_options(command):
    """The options of commands that take people per zone."""
    for option in reversed(population_option_list):
        command = option(command)
    return command


def _population_kind(source: str | None) -> str | None:
    """``grid``, ``table`` or ``column`` for a --population value (None when not given)."""
    if source is None:
        return None
    suffix = os.path.splitext(source)[1].lower()
    return "grid" if suffix in GRID_SUFFIXES else "table" if suffix in TABLE_SUFFIXES else "column"


def _check_population_options(per: str, source: str | None, rescale_to: str | None, zones_path: str | None) -> None:
    """Before any work: --per population, --population and --rescale-to fit together."""
    kind = _population_kind(source)
    if (per == "population") != (source is not None):
        raise click.UsageError(
            "--per population and --population go together: a grid (.tif), an official table (.csv), or the "
            "column of --zones that holds each zone's population."
        )
    if kind == "column" and zones_path is None:
        raise click.UsageError(
            f"--population {source}: not a .tif grid or .csv table, so it names a column of your --zones "
            "file; the shipped zones carry no population."
        )
    if rescale_to is not None and kind != "grid":
        raise click.UsageError("--rescale-to rescales a population grid: give --population FILE.tif too.")
    _check_population_files(source if kind in ("grid", "table") else None, rescale_to)


def _check_population_files(source: str | None, rescale_to: str | None) -> None:
    """Before reading the incidents: the population files exist and may be read (exit 2 otherwise)."""
    from katye.io import check_file

    if source is not None:
        check_file(source, what="population file", expected="a GeoTIFF grid of people per pixel or a COD-PS CSV")
    if rescale_to is not None:
        check_file(rescale_to, what="population table", expected="a COD-PS CSV per section or commune")


def _population(ctx: click.Context, source: str | None, zones, *, rescale_to: str | None, column: str | None):
    """The population for risk: a column name as given, or the zones' people from a grid or table."""
    kind = _population_kind(source)
    if kind is None or kind == "column":
        return source
    from katye.exposure import zone_population

    with _working(ctx, f"Summing people from {source}"):
        if kind == "grid":
            return zone_population(zones, raster=source, rescale_to=rescale_to, population_column=column)
        return zone_population(zones, table=source, population_column=column)


def _population_notice(ctx: click.Context, population, nobody: list[str]) -> None:
    """Say on stderr where the people came from, and which zones have none."""
    info = getattr(population, "attrs", {}).get("katye_population")
    notes = [info["caveat"]] if info else []
    if nobody:
        notes.append(
            f"{len(nobody)} zone(s) have nobody in the population data and no rate: {', '.join(nobody[:10])}"
            + (" …" if len(nobody) > 10 else "")
        )
    console = _notices(ctx)
    for note in notes:
        console.print(f"Note: {safe_text(note)}", markup=False)


@main.command("risk")
@global_flags
@click.argument("incidents", type=click.Path(), required=False)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Target: .csv, .geojson, .gpkg or .parquet."
)
@click.option("--as-of", "as_of", help="Date of the index (YYYY-MM-DD); default the latest incident.")
@click.option("--window-days", default=90, show_default=True, type=click.IntRange(min=1))
@click.option("--half-life-days", default=30.0, show_default=True, type=click.FloatRange(min=0, min_open=True))
@click.option(
    "--scheme",
    default="quantiles",
    show_default=True,
    type=click.Choice(["quantiles", "fisher_jenks"], case_sensitive=False),
)
@click.option(
    "--per",
    type=click.Choice(["zone", "km2", "population"]),
    default="zone",
    show_default=True,
    help="zone: the index as it is; km2: divided by zone area; population: per 100,000 people (needs --population).",
)
@population_options
@click.option(
    "--control",
    "control_path",
    type=click.Path(),  # katye.io checks it: a folder or a bad path is exit 2, as for any input
    metavar="FILE",
    help="Declared control table (zone_id, as_of, status, actor, source, confidence, note).",
)
@with_zone_options
@incident_options
@click.pass_context
def risk_command(
    ctx,
    incidents,
    output,
    as_of,
    window_days,
    half_life_days,
    scheme,
    per,
    population_source,
    rescale_to,
    population_column,
    control_path,
    zones_path,
    zone_id_column,
    zone_name_column,
    **options,
):
    """Score risk per zone, with its trend and inferred (and declared) control.

    Risk index: recency-weighted severity of the exact events in the window, per zone (or per
    km2, or per 100,000 people; see the README); class breaks in class_range; trend against the
    previous window in ACLED Trendfinder bands; control inferred from who acts with force. With
    no INCIDENTS it uses the shipped synthetic sample.

    \b
    Examples:
      katye risk acled_haiti_2024.csv -o risk.gpkg --as-of 2024-11-30
      katye risk acled_haiti_2024.csv -o risk.csv --control control.csv
      katye risk acled_haiti_2024.csv -o risk.csv --zones quartiers.gpkg --per population --population pop
      katye risk acled_haiti_2024.csv -o risk.csv --per population --population hti_ppp_2020.tif
      katye risk acled.csv -o risk.csv --per population --population hti_ppp_2020.tif --rescale-to hti_pop_adm3.csv
    """
    import pandas as pd

    from katye.control import infer_control, read_control
    from katye.join import assign
    from katye.output import refuse_overwriting_inputs, write_frame
    from katye.scoring import range_text
    from katye.scoring import risk as risk_index

    _check_population_options(per, population_source, rescale_to, zones_path)
    path = _path_or_sample(ctx, incidents)
    refuse_overwriting_inputs(
        [output], [path, zones_path, control_path, population_source, rescale_to, options["actors_path"]]
    )
    result = _read(ctx, path, options, zone_counts=True)
    zones = _zones_option(zones_path, zone_id_column, zone_name_column)
    population = _population(ctx, population_source, zones, rescale_to=rescale_to, column=population_column)
    declared = read_control(control_path, zones=zones) if control_path else None
    with _working(ctx, "Scoring"):
        assigned = assign(result.incidents, zones)
        scored = risk_index(
            assigned,
            zones,
            as_of=as_of,
            window_days=window_days,
            half_life_days=half_life_days,
            scheme=scheme,
            per=per,
            population=population,
        )
        control = infer_control(
            assigned, zones, as_of=scored.attrs["katye_method"]["as_of"], window_days=window_days, declared=declared
        )
    table = scored.merge(pd.DataFrame(control).drop(columns=["events"]), on="zone_id", how="left")
    write_frame(table, output, layer="risk")
    breaks = "; ".join(f"{name} {range_text(bounds)}" for name, bounds in scored.attrs["katye_breaks"].items())
    _console(ctx).print(
        f"Wrote risk ({scored.attrs['katye_method']['unit']}) for {len(table)} zones as of "
        f"{scored.attrs['katye_method']['as_of']} to {output}. Class breaks: {breaks or 'none'}",
        markup=False,
    )
    _population_notice(ctx, population, scored.attrs["katye_method"].get("no_population", []))


@main.command("map")
@global_flags
@click.argument("incidents", type=click.Path(), required=False)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The HTML map to write.")
@click.option("--since", help="First day of incidents to show (YYYY-MM-DD).")
@click.option("--until", help="Last day of incidents to show (YYYY-MM-DD).")
@click.option("--as-of", "as_of", help="Date of the control snapshot and risk index; default --until.")
@click.option(
    "--control",
    "control_path",
    type=click.Path(),  # katye.io checks it: a folder or a bad path is exit 2, as for any input
    metavar="FILE",
    help="Declared control table; without it the map shows control inferred from the incidents.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "fr", "ht"]),
    default="en",
    show_default=True,
    help="The map's language: English, French or Haitian Creole (ht). Data text stays as in the data.",
)
@click.option(
    "--tiles",
    type=click.Choice(["none", "osm", "cartodb"]),
    default="none",
    show_default=True,
    help="none: no network at all (shipped outlines as basemap); osm/cartodb: online tiles.",
)
@click.option("--title", help="Map title.")
@click.option(
    "--emerging",
    type=click.Choice(["week", "month"]),
    help="Add a layer of emerging hot spots per zone: Gi* in each ACLED week or month, Mann-Kendall trend (seed 0).",
)
@click.option(
    "--roads",
    "roads_path",
    type=click.Path(dir_okay=False),
    help="Add a Corridors layer: the road lines in FILE (GeoPackage, GeoJSON, e.g. an OpenStreetMap export) "
    "coloured by the recency-weighted risk of exactly located events near each segment.",
)
@click.option(
    "--roads-name",
    "roads_name",
    metavar="COLUMN",
    default="name",
    show_default=True,
    help="With --roads: the column of the road names (one route per name).",
)
@click.option(
    "--within-m",
    "within_m",
    type=click.FloatRange(min=0, min_open=True),
    default=500,
    show_default=True,
    help="With --roads: events within this many metres of a segment count for it.",
)
@click.option("--png", "png", type=click.Path(dir_okay=False), help="Also write a PNG for reports.")
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False), help="Also write a PDF for reports.")
@click.option("--svg", "svg", type=click.Path(dir_okay=False), help="Also write an SVG.")
@click.option(
    "--static-layer",
    type=click.Choice(["control", "risk"]),
    default="control",
    show_default=True,
    help="What colours the zones in the PNG/PDF/SVG.",
)
@click.option(
    "--per",
    type=click.Choice(["zone", "km2", "population"]),
    default="zone",
    show_default=True,
    help="How the Risk layer compares zones: the index per zone, per km2 of zone area, or per 100,000 "
    "people (needs --population).",
)
@population_options
@click.option(
    "--acled-accessed",
    "acled_accessed",
    metavar="DATE",
    help="The day you downloaded the ACLED data (YYYY-MM-DD), for the credit line ACLED asks for.",
)
@click.option(
    "--paper", type=click.Choice(["a4", "a3", "letter"]), default="a4", show_default=True, help="Page of PNG/PDF/SVG."
)
@click.option("--orientation", type=click.Choice(["landscape", "portrait"]), default="landscape", show_default=True)
@click.option("--dpi", type=click.IntRange(50, 1200), default=300, show_default=True, help="Resolution of the PNG.")
@click.option(
    "--by",
    "by",
    type=click.Choice(["month", "week"]),
    help="Write one PNG/PDF/SVG per month (name-YYYY-MM.png) or per ACLED week, Saturday to Friday "
    "(name-week-YYYY-MM-DD.png, named by its Saturday), instead of one for the whole period.",
)
@with_zone_options
@incident_options
@click.pass_context
def map_command(
    ctx,
    incidents,
    output,
    since,
    until,
    as_of,
    control_path,
    lang,
    tiles,
    title,
    emerging,
    roads_path,
    roads_name,
    within_m,
    png,
    pdf,
    svg,
    static_layer,
    per,
    population_source,
    rescale_to,
    population_column,
    acled_accessed,
    paper,
    orientation,
    dpi,
    by,
    zones_path,
    zone_id_column,
    zone_name_column,
    **options,
):
    """Make the report map: one HTML file that opens with no network, and optional PNG/PDF/SVG.

    Layers: control, risk, incidents (with a month selector), density, hot spots, key sites with
    distance rings, boundaries. With no INCIDENTS it maps the shipped SYNTHETIC sample with the
    ILLUSTRATIVE control table, and says so on the map.

    \b
    Examples:
      katye map -o katye-map.html
      katye map acled_haiti_2024.csv -o pap-nov.html --since 2024-11-01 --until 2024-11-30 --png pap-nov.png
      katye map acled_haiti_2024.csv -o carte.html --lang fr --control control.csv --pdf carte.pdf
      katye map acled_haiti_2024.csv -o pop.html --per population --population hti_ppp_2020.tif
      katye map acled_haiti_2024.csv -o roads.html --roads haiti-roads.gpkg --within-m 300
    """
    from katye import samples
    from katye.control import read_control
    from katye.mapdata import MAP_MARGIN_M, prepare
    from katye.output import refuse_overwriting_inputs
    from katye.render import make_map, save_map  # render_static (matplotlib) only for PNG/PDF/SVG below

    _check_map_outputs(output, png=png, pdf=pdf, svg=svg)
    if by and not (png or pdf or svg):
        raise click.UsageError(f"--by {by} writes PNG/PDF/SVG files: give --png, --pdf or --svg too.")
    if incidents is None and control_path is None and zones_path is None:
        # The illustrative table names the shipped zones: with zones of your own it would not fit.
        control_path = str(samples.path("control"))
        _notices(ctx).print("Using the shipped ILLUSTRATIVE control table with the sample.", markup=False)
    _check_population_options(per, population_source, rescale_to, zones_path)
    path = _path_or_sample(ctx, incidents)
    refuse_overwriting_inputs(
        [output, png, pdf, svg],
        [path, zones_path, control_path, population_source, rescale_to, options["actors_path"], roads_path],
    )
    road_layer = None
    if roads_path:
        from katye.corridors import read_roads

        road_layer = read_roads(roads_path, name_column=roads_name)  # before the long part: a bad file fails fast
    result = _read(ctx, path, options, zone_counts=True)
    zones = _zones_option(zones_path, zone_id_column, zone_name_column)
    population = _population(ctx, population_source, zones, rescale_to=rescale_to, column=population_column)
    control = read_control(control_path, zones=zones) if control_path else None
    common = {
        "zones": zones,
        "control": control,
        "as_of": as_of,
        "start": since,
        "end": until,
        "lang": lang,
        "title": title,
        "risk_per": per,
        "population": population,
        "acled_accessed": acled_accessed,
    }
    with _working(ctx, "Analysing"):
        # Once for every output: the HTML map and each static figure draw the same prepared data.
        data = prepare(result.incidents, **common)
    if data.beyond:
        _notices(ctx).print(
            f"Note: {data.beyond:,} incidents lie more than {MAP_MARGIN_M // 1000} km beyond the zones' extent "
            "and are not drawn (the map's caveats say so too).",
            markup=False,
        )
    spots = None
    if emerging:
        from katye.emerging import emerging_hotspots

        with _working(ctx, "Finding emerging hot spots"):
            spots = emerging_hotspots(data.incidents, zones, period=emerging, start=data.start, end=data.end, seed=0)
    corridors = None
    if road_layer is not None and data.incidents is not None:
        from katye.corridors import corridor_risk

        with _working(ctx, "Measuring corridors"):
            corridors = corridor_risk(data.incidents, road_layer, within_m=within_m, as_of=as_of)
    with _working(ctx, "Building the map"):
        # The emerging layer, when asked for, opens in place of control: two zone fills would mix.
        show = ("emerging" if spots is not None else "control", "incidents", "sites", "names")
        chosen = {"tiles": None if tiles == "none" else tiles, "emerging": spots, "show": show}
        save_map(make_map(data, **chosen, roads=corridors), output)
    written = [output]
    page = {"layer": static_layer, "paper": paper, "orientation": orientation, "dpi": dpi}
    # One page for the whole period, or one per month or week, each prepared for its own days.
    periods = [("", data)]
    if by and data.start is not None and data.end is not None:
        from katye.dates import periods_between

        prefix = "-week-" if by == "week" else "-"
        periods = [
            (prefix + key, prepare(result.incidents, **{**common, "start": first, "end": last, "as_of": last}))
            for key, first, last in periods_between(data.start, data.end, by)
        ]
    if png or pdf or svg:
        from katye.render import render_static
    for suffix, period in periods:
        for target in (png, pdf, svg):
            if target:
                root, extension = os.path.splitext(target)
                name = f"{root}{suffix}{extension}"
                with _working(ctx, f"Drawing {name}"):
                    render_static(period, path=name, **page)
                written.append(name)
    _console(ctx).print(
        f"Wrote {', '.join(written)} ({len(result.incidents):,} incidents read, {result.report.rejected:,} rejected)",
        markup=False,
    )
    if per == "population" and data.scored is not None:
        _population_notice(ctx, population, data.scored.attrs["katye_method"].get("no_population", []))


@main.command("exposure")
@global_flags
@click.argument("incidents", type=click.Path(), required=False)
@click.option(
    "--population",
    "population_source",
    required=True,
    type=click.Path(),
    metavar="FILE",
    help="A population grid (.tif: WorldPop, HRSL) or an official table per section or commune (.csv, COD-PS).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Rates per area: .csv, .geojson, .gpkg or .parquet.",
)
@click.option(
    "--level",
    type=click.Choice(["zones", "sections", "communes"]),
    default="zones",
    show_default=True,
    help="The areas to count in (ignored with --zones).",
)
@click.option("--since", help="First day of incidents to count (YYYY-MM-DD).")
@click.option("--until", help="Last day of incidents to count (YYYY-MM-DD).")
@population_option_list[1]
@population_option_list[2]
@click.option(
    "--events",
    "events_output",
    type=click.Path(dir_okay=False),
    help="Also write every incident with the people within 1, 2 and 5 km and within its type's best radius "
    "(needs a grid).",
)
@click.option(
    "--radius",
    "radius_overrides",
    multiple=True,
    metavar="TYPE=METRES",
    help='The best radius of an event type for --events, e.g. --radius "Battles=5000" (repeatable).',
)
@with_zone_options
@incident_options
@click.pass_context
def exposure_command(
    ctx,
    incidents,
    population_source,
    output,
    level,
    since,
    until,
    rescale_to,
    population_column,
    events_output,
    radius_overrides,
    zones_path,
    zone_id_column,
    zone_name_column,
    **options,
):
    """People exposed: events and fatalities per 100,000 people per zone, section or commune.

    People come from a grid (summed by the exact share of each pixel in each area) or from an
    official table per section or commune; --rescale-to scales a grid to official totals. In a
    zone only exactly located events count; in a section, exact and near ones; in a commune, all
    located to a commune or better. --events adds, for every incident, the people around it as
    ACLED estimates them. With no INCIDENTS it uses the shipped synthetic sample.

    \b
    Examples:
      katye exposure acled.csv --population hti_ppp_2020.tif -o exposure.csv
      katye exposure acled.csv --population hti_pop_adm3.csv --level sections -o sections.csv
      katye exposure acled.csv --population hti_ppp_2020.tif --rescale-to hti_pop_adm2.csv --level communes -o c.csv
      katye exposure acled.csv --population hti_ppp_2020.tif -o zones.csv --events events.csv --radius Battles=5000
    """
    from katye.exposure import event_exposure, exposure_rates
    from katye.output import refuse_overwriting_inputs, write_frame

    kind = _population_kind(population_source)
    if kind == "column":
        raise click.UsageError(f"--population {population_source}: give a grid (.tif) or an official table (.csv).")
    if rescale_to is not None and kind != "grid":
        raise click.UsageError("--rescale-to rescales a population grid: give --population FILE.tif.")
    if events_output is not None and kind != "grid":
        raise click.UsageError("--events counts people around each incident from a grid: give --population FILE.tif.")
    radii = _radius_overrides(radius_overrides)
    _check_population_files(population_source, rescale_to)
    path = _path_or_sample(ctx, incidents)
    inputs = [path, zones_path, population_source, rescale_to, options["actors_path"]]
    refuse_overwriting_inputs([output, events_output], inputs)
    if events_output and os.path.realpath(events_output) == os.path.realpath(output):
        raise click.UsageError("-o and --events name the same file; give each its own.")
    # Sections and communes count events located only near a place or to a commune: no zone-count note.
    result = _read(ctx, path, options, zone_counts=zones_path is not None or level == "zones")
    zones = _zones_option(zones_path, zone_id_column, zone_name_column)
    areas = zones if zones is not None else level
    population = _population(ctx, population_source, areas, rescale_to=rescale_to, column=population_column)
    with _working(ctx, "Counting"):
        rates = exposure_rates(result.incidents, population, start=since, end=until)
    write_frame(rates, output, layer="exposure")
    info = rates.attrs["katye_exposure"]
    _console(ctx).print(
        f"Wrote events and fatalities per 100,000 people for {len(rates)} areas to {output} "
        f"({info['events']:,} events counted: {info['counted']}; {info['not_counted']:,} not in any area)",
        markup=False,
    )
    _population_notice(ctx, population, info["no_people"])
    if events_output:
        with _working(ctx, "Measuring people around each incident"):
            near = event_exposure(result.incidents, population_source, radii=radii)
        write_frame(near, events_output, layer="incidents")
        about = near.attrs["katye_event_exposure"]
        _console(ctx).print(
            f"Wrote {len(near):,} incidents with people within 1, 2 and 5 km and the best radius to {events_output} "
            f"({about['outside_grid']:,} beyond the grid)",
            markup=False,
        )
        if about["types_without_radius"]:
            _notices(ctx).print(
                "Note: no best radius for event type(s) "
                + ", ".join(safe_text(t) for t in about["types_without_radius"][:10])
                + ': give one with --radius "TYPE=METRES".',
                markup=False,
            )


def _radius_overrides(values) -> dict[str, float]:
    radii = {}
    for value in values:
        name, _, metres = value.rpartition("=")
        try:
            radii[name.strip()] = float(metres)
        except ValueError:
            name = ""
        if not name.strip():
            raise click.UsageError(f'--radius {value!r}: write TYPE=METRES, e.g. --radius "Battles=5000".')
    return radii


def _check_map_outputs(output: str, **static: str | None) -> None:
    """Before any work: each output has its own file and the extension its option promises."""
    if not output.lower().endswith((".html", ".htm")):
        raise click.UsageError(f"-o {output}: a map is saved as .html.")
    for option, target in static.items():
        if target and not target.lower().endswith(f".{option}"):
            raise click.UsageError(f"--{option} {target}: the file name must end in .{option}.")
    targets = [os.path.realpath(t) for t in (output, *static.values()) if t]
    if len(set(targets)) != len(targets):
        raise click.UsageError("two outputs name the same file; give each of -o, --png, --pdf and --svg its own.")


@main.group("geodata")
@global_flags
def geodata_group() -> None:
    """The shipped gazetteer: list and export its layers.

    \b
    Examples:
      katye geodata list
      katye geodata export sites -o sites.geojson
    """


@geodata_group.command("list")
@global_flags
@click.pass_context
def geodata_list(ctx: click.Context) -> None:
    """List the shipped layers with feature counts, sources and licences.

    \b
    Example:
      katye geodata list
    """
    from rich.table import Table

    from katye import geodata as gazetteer

    table = Table(title="katye gazetteer", show_lines=True)
    for column in ("layer", "features", "geometry", "source", "licence"):
        table.add_column(column, overflow="fold")
    for row in gazetteer.catalog().itertuples():
        table.add_row(str(row.name), str(row.features), str(row.geometry_type), str(row.source), str(row.licence))
    _console(ctx, status=False).print(table)


class LayerName(click.ParamType):
    """A shipped layer or table name, checked when given (the gazetteer loads only then)."""

    name = "NAME"

    def convert(self, value, param, ctx):
        from katye import geodata as gazetteer

        names = [*gazetteer.LAYERS, *gazetteer.TABLES]
        name = str(value).strip().lower().replace("-", "_")  # urban-extent as katye.geodata.load takes it
        if name not in names:
            self.fail(f"{value!r} is not a shipped layer or table: choose one of {', '.join(names)}.", param, ctx)
        return name


@geodata_group.command("export")
@global_flags
@click.argument("name", type=LayerName())
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Target file: .geojson, .gpkg, .parquet or .csv.",
)
@click.pass_context
def geodata_export(ctx: click.Context, name: str, output: str) -> None:
    """Export shipped layer NAME (`katye geodata list` lists them) to a file, the format chosen by the extension.

    Tables (admin_names, actors) export to .csv only.

    \b
    Examples:
      katye geodata export zones -o zones.gpkg
      katye geodata export sites -o sites.csv
      katye geodata export actors -o actors.csv
    """
    from katye import geodata as gazetteer
    from katye.output import write_frame

    name = name.lower()
    frame = gazetteer.load(name) if name in gazetteer.LAYERS else gazetteer.load_table(name)
    path = write_frame(frame, output, layer=name)
    _console(ctx).print(f"Wrote {len(frame)} {name} to {path}")


# -- katye acled: the local copy of ACLED's events, kept current through ACLED's API -------------


@main.group("acled")
@global_flags
def acled_group() -> None:
    """Keep a local copy of a country's ACLED events current (needs a myACLED account with API access).

    The copy is a CSV in ACLED's export layout in your data folder, for you alone: ACLED's data may
    not be redistributed. Your e-mail and password come from ACLED_USERNAME and ACLED_PASSWORD, or
    katye asks for them; katye never prints or saves the password.

    \b
    Examples:
      katye acled pull --country Haiti --since 2024-01-01
      katye acled pull --country Haiti          # later: only what ACLED added, changed or deleted
      katye acled status --country Haiti
    """


def _acled_credentials():
    """The myACLED account from the environment, or typed at a prompt (the password hidden)."""
    from katye import acled
    from katye.acled.client import PASSWORD_ENV, USERNAME_ENV
    from katye.errors import UsageError

    found = acled.Credentials.from_env()
    if found is not None:
        return found
    try:
        username = os.environ.get(USERNAME_ENV, "").strip() or click.prompt("myACLED e-mail", err=True)
        password = click.prompt("myACLED password", hide_input=True, err=True)
    except click.Abort:
        raise UsageError(
            f"no ACLED account: set {USERNAME_ENV} and {PASSWORD_ENV} (your myACLED e-mail and password), "
            "or run katye in a terminal to type them."
        ) from None
    return acled.Credentials(username, password)


_ACLED_COUNTRY = click.option("--country", required=True, help="ACLED's name of the country, e.g. Haiti.")
_ACLED_CACHE = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="KATYE_ACLED_DIR",
    help="Folder of the local copies; default your data folder (~/.local/share/katye/acled on Linux).",
)


@acled_group.command("pull")
@global_flags
@_ACLED_COUNTRY
@click.option("--since", help="First day of events (YYYY-MM-DD); needed on the first pull.")
@click.option("--full", is_flag=True, help="Fetch everything again instead of only the changes.")
@_ACLED_CACHE
@click.option(
    "--base-url",
    default="https://acleddata.com",
    show_default=True,
    envvar="KATYE_ACLED_URL",
    help="ACLED's API address (https only; http for a test server on 127.0.0.1).",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=300.0,
    show_default=True,
    help="Longest single wait (seconds) when ACLED asks katye to slow down; longer is an error.",
)
@click.pass_context
def acled_pull(ctx, country, since, full, cache_dir, base_url, max_wait) -> None:
    """Fetch a country's ACLED events, or only what changed since the last pull, into the local copy.

    Events ACLED changed replace the copy's versions and events ACLED deleted leave it. The copy
    changes only when a pull completes. Read it with `katye map PATH`, `katye validate PATH` or
    katye.read_incidents(PATH).

    \b
    Examples:
      export ACLED_USERNAME=you@example.org
      katye acled pull --country Haiti --since 2024-01-01
      katye acled pull --country Haiti
      katye map "$(katye acled status --country Haiti --path)" -o haiti.html
    """
    from katye import acled

    credentials = _acled_credentials()
    with _working(ctx, f"Pulling ACLED {country}"):
        result = acled.pull(
            country,
            since=since,
            credentials=credentials,
            cache_dir=cache_dir,
            full=full,
            base_url=base_url,
            max_wait_s=max_wait,
        )
    console = _console(ctx)
    for line in result.lines():
        console.print(safe_text(line), markup=False)


@acled_group.command("status")
@global_flags
@_ACLED_COUNTRY
@_ACLED_CACHE
@click.option("--path", "path_only", is_flag=True, help="Print only the copy's file (for scripts).")
@click.pass_context
def acled_status(ctx, country, cache_dir, path_only) -> None:
    """Say what the local copy of a country's ACLED events holds, and where it is.

    \b
    Examples:
      katye acled status --country Haiti
      katye acled status --country Haiti --path
    """
    from katye import acled
    from katye.errors import UsageError

    path = acled.cache_path(country, cache_dir=cache_dir)
    state = acled.status(country, cache_dir=cache_dir)
    if state is None:
        raise UsageError(
            f"katye holds no ACLED copy of {country} in {path.parent}. Make one: "
            f"katye acled pull --country {country} --since YYYY-MM-DD"
        )
    console = _console(ctx, status=False)
    if path_only:
        console.print(safe_text(str(path)), markup=False)
        return
    lines = [
        f"ACLED {state.country} since {state.since}: {state.events:,} events, pulled {state.pulled_at}.",
        f"ACLED changes taken in up to timestamp {state.last_timestamp} (from {state.base_url}).",
        f"  {path}",
    ]
    for line in lines:
        console.print(safe_text(line), markup=False)


if __name__ == "__main__":  # pragma: no cover
    main()
