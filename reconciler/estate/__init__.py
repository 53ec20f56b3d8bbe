"""``reconciler import``: the config of an existing estate, written and recorded as adopted.

:func:`import_estate` runs it (:mod:`reconciler.estate.run`); :mod:`~reconciler.estate.describe`
turns the live world into documents, :mod:`~reconciler.estate.naming` names what it writes,
:mod:`~reconciler.estate.emit` writes YAML and :mod:`~reconciler.estate.files` the directory.
"""

from __future__ import annotations

from reconciler.estate.run import ImportOptions, ImportResult, import_estate

__all__ = ["ImportOptions", "ImportResult", "import_estate"]
