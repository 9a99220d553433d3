"""Who speaks in a recording. The agent's own recording calls the caller `user`; the
simulated caller's recording of the same call is made by an agent too, so there `agent` is the
simulated caller and `user` the agent under test. Pages and reports name them as who they are."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Speakers:
    user: str
    """Who `user` turns are."""
    agent: str
    """Who `agent` turns are."""
    user_lane: str
    agent_lane: str
    """Short names for the lane chart."""

    @classmethod
    def of(cls, *, caller_side: bool) -> Speakers:
        if caller_side:
            return CALLER_SIDE_SPEAKERS
        return AGENT_SIDE_SPEAKERS

    def name(self, role: str) -> str:
        """The speaker of a `user` or `agent` turn; any other role as it is."""
        return {"user": self.user, "agent": self.agent}.get(role, role)

    def hung_up(self, disconnection_reason: object) -> str | None:
        """Who hung up, for `agent_hangup` / `user_hangup`; None for any other reason."""
        if disconnection_reason == "agent_hangup":
            return f"the {self.agent} hung up"
        if disconnection_reason == "user_hangup":
            return f"the {self.user} hung up"
        return None


AGENT_SIDE_SPEAKERS = Speakers(
    user="caller", agent="agent under test", user_lane="caller", agent_lane="agent"
)
CALLER_SIDE_SPEAKERS = Speakers(
    user="agent under test", agent="simulated caller", user_lane="agent", agent_lane="sim caller"
)

__all__ = ["AGENT_SIDE_SPEAKERS", "CALLER_SIDE_SPEAKERS", "Speakers"]
