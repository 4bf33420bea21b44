"""Edge block: what a Roving Edge device needs in the cloud (it is ordered outside Pulumi)."""
