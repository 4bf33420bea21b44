"""Stack configuration: the typed, validated schema, its error messages and the README reference."""
