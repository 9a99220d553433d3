"""`python -m ringback.simulator.cli` is `ringback-sim`."""

from . import main

main()
