"""Ringback's SIP simulator.

`ringback-sim` will dial an agent through the LiveKit SIP API with simulated callers, collect
the calls it syncs back, link, evaluate and report.
"""
