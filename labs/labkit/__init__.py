"""labkit: the platform's helpers for learner code and lab probes.

Importable as ``labkit`` inside every grading job (a read-only mount at
/opt/labkit/labkit, with /opt/labkit on the job's path; see grading/lab_mounts.py) and as
``labs.labkit`` in the project. It must import nothing of the project and not Django: it runs
in the sandbox, beside learner code. Heavy modules (numpy, torch) are imported only when a
function needs them, so the web process can read its constants cheaply.

- ``labkit.datasets.load(name, split, limit=None)``: the offline datasets (datasets.py).
"""

from . import datasets

__all__ = ["datasets"]
