"""The LiveKit connection comes from three environment variables; errors name the missing
ones and never show the secret."""

from __future__ import annotations

import pytest

from ringback.simulator.dial import LiveKitConfigError, LiveKitConnection

FULL = {
    "LIVEKIT_URL": "wss://demo.livekit.cloud",
    "LIVEKIT_API_KEY": "APIkey",
    "LIVEKIT_API_SECRET": "very-secret-value",
}


def test_all_three_variables_make_a_connection() -> None:
    connection = LiveKitConnection.from_env(FULL)
    assert connection.url == "wss://demo.livekit.cloud"
    assert "very-secret-value" not in repr(connection)


@pytest.mark.parametrize("missing", sorted(FULL))
def test_a_missing_variable_is_named(missing: str) -> None:
    env = {k: v for k, v in FULL.items() if k != missing}
    with pytest.raises(LiveKitConfigError) as info:
        LiveKitConnection.from_env(env)
    assert str(info.value).startswith(f"{missing} is not set")
    assert "very-secret-value" not in str(info.value)


def test_several_missing_variables_are_all_named() -> None:
    with pytest.raises(LiveKitConfigError, match="LIVEKIT_API_KEY, LIVEKIT_API_SECRET are"):
        LiveKitConnection.from_env({"LIVEKIT_URL": "https://x.example"})


def test_the_url_must_be_a_url() -> None:
    with pytest.raises(LiveKitConfigError, match="not a URL"):
        LiveKitConnection.from_env({**FULL, "LIVEKIT_URL": "demo.livekit.cloud"})


async def test_open_sizes_the_pool_and_closes_it() -> None:
    connection = LiveKitConnection.from_env({**FULL, "LIVEKIT_URL": "http://127.0.0.1:9"})
    async with connection.open(concurrency=200) as lk:
        session = lk.room._client._session
        assert session.connector is not None
        assert session.connector.limit >= 400
    assert session.closed
