"""Day-2 operations of the DICOM store: alarms, budget, logs and restore (see `operations.py`)."""
