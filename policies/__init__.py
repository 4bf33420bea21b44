"""CrossGuard policies of the DICOM store: one module per compliance framework (see `policies.packs`)."""
