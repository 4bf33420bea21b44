"""Identity block: compartments, groups, dynamic groups and the guarded IAM policy helper."""
