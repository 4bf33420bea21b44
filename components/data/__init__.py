"""Data block: the DICOM bucket and its companions, the PostgreSQL index database and its bootstrap."""
