"""Past one machine, on a laptop: katye on a dask LocalCluster over a partitioned GeoParquet dataset.

The incidents are SYNTHETIC (``katye.samples.synthetic_acled``: made-up events in ACLED's layout,
marked ``synthetic``), read with ``katye.read_incidents`` and written as a GeoParquet dataset of a
few partitions. The same calls run unchanged on a real cluster: connect the ``Client`` to its
scheduler instead of a ``LocalCluster``, and keep the dataset where every worker can read it.

Run: ``python examples/past_one_machine.py [--rows N] [--out DIR]`` (needs ``pip install 'katye[dask]'``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import katye
from katye import partitioned


def main() -> None:
    """Make the synthetic dataset, then assign, summarise and count it on a LocalCluster."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="synthetic incidents to make")
    parser.add_argument("--out", type=Path, default=Path("past-one-machine"), help="a new folder for the outputs")
    args = parser.parse_args()

    from dask.distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as scratch:
        csv = katye.samples.write_csv(katye.samples.synthetic_acled(args.rows, seed=7), Path(scratch) / "synthetic.csv")
        incidents, _, _ = katye.read_incidents(csv)
    # Once: the CSV (read in memory) becomes a dataset that dask reads one partition at a time.
    dataset = partitioned.write_parquet(incidents, args.out / "incidents.parquet", rows_per_file=args.rows // 4 or 1)
    print(f"{dataset}: {len(incidents):,} synthetic incidents in {len(list(dataset.iterdir()))} partitions")

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        assigned = katye.assign(dataset)  # lazy: nothing is read yet
        assigned.to_parquet(args.out / "assigned.parquet")  # each worker assigns and writes its partitions
        table = katye.summarize(dataset, by=("month",))  # a pandas DataFrame, as in memory
        counts = partitioned.zone_counts(dataset)  # exact incidents per zone, reading only points

    print(table[table["zone_id"] != ""].sort_values("events", ascending=False).head(5).to_string(index=False))
    print("busiest zones:", ", ".join(counts.nlargest(3, "events")["zone_name"]))
    print("every row accounted for:", counts.attrs["katye_rows"])  # in zones, exact outside them, coarse
    print(f"assigned rows written to {args.out / 'assigned.parquet'}")


if __name__ == "__main__":  # dask starts its workers as new processes, which import this file
    main()
