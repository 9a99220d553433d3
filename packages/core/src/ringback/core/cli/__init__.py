"""The `ringback` command line."""
