"""Regenerate the synthetic ACLED-layout sample: ``python geodata/samples/make_samples.py``.

Seeded: the same katye version writes the same bytes (checked by tests/test_samples.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from katye.samples import SAMPLE_FILE, synthetic_acled, write_csv

HERE = Path(__file__).resolve().parent
ROWS = 3000
SEED = 2024


def main() -> int:
    """Write the sample next to this script."""
    frame = synthetic_acled(ROWS, seed=SEED)
    write_csv(frame, HERE / SAMPLE_FILE)
    print(f"{SAMPLE_FILE}: {len(frame)} synthetic rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
