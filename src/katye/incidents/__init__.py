"""Read incident files (ACLED exports in every layout, or your own) into the canonical schema.

Every input row is accounted for: accepted inside the study area, accepted outside it, or
rejected with a reason and its line in the file. The pipeline is in :mod:`katye.incidents.read`:
:mod:`~katye.incidents.readers` reads the bytes, :mod:`~katye.incidents.parse` the values,
:mod:`~katye.incidents.interpret` decides location precision and normalises actors
(:mod:`~katye.incidents.precision`, :mod:`~katye.incidents.actors`).
"""

from katye.incidents.read import CANONICAL, read_incidents, study_area
from katye.incidents.report import IncidentRead, ReadReport

__all__ = ["CANONICAL", "IncidentRead", "ReadReport", "read_incidents", "study_area"]
