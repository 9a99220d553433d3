"""`python -m ringback.livekit.testing`: serve a `LiveKitStandIn` as its own process.

Prints `listening <url>` once it serves (credentials: `API_KEY`, `API_SECRET`), answers its
counters at `GET /_standin/stats`, and stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

from .server import DialScript, LiveKitStandIn


async def serve(
    *, port: int = 0, ring: float = 0.0, polls: int | None = 1, latency: Sequence[str] = ()
) -> None:
    """Serve until SIGTERM or SIGINT: every dial rings `ring` seconds, then answers a callee
    who hangs up after `polls` GetParticipant reads; `latency` items are `METHOD=SECONDS`."""
    standin = LiveKitStandIn()
    script = DialScript(ring=ring, answered_polls=polls)
    standin.dial = lambda request, attempt: script
    for item in latency:
        method, _, seconds = item.partition("=")
        standin.latency[method] = float(seconds)
    await standin.start(port)
    print(f"listening {standin.url}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    await standin.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ringback.livekit.testing",
        description="Serve Ringback's stand-in for LiveKit's server API.",
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ring", type=float, default=0.0, help="seconds of ringing per call")
    parser.add_argument("--polls", type=int, default=1, help="GetParticipant reads per call")
    parser.add_argument("--latency", action="append", default=[], metavar="METHOD=SECONDS")
    args = parser.parse_args(argv)
    asyncio.run(serve(port=args.port, ring=args.ring, polls=args.polls, latency=args.latency))


if __name__ == "__main__":
    main()
