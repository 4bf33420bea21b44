"""Security block: the vault and every key, the security zone, Cloud Guard, and IAM statements as data."""
