"""The exit codes every `ringback-sim` command shares."""

EXIT_OK = 0
EXIT_FAILED = 1
"""What was checked failed: calls below the bar, a verify step, a report that failed."""
EXIT_USAGE = 2
"""A setting or input is wrong (the message says which and how to fix it), or a run could not
be evaluated."""
EXIT_INTERRUPTED = 130
"""Ctrl-C."""
