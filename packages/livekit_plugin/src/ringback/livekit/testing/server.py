"""`LiveKitStandIn`: LiveKit's server API (Twirp) on 127.0.0.1, for the real
`livekit.api.LiveKitAPI` client, so code that creates rooms, dispatches agents and dials
over LiveKit SIP runs offline against a server whose every answer the test decides.

It speaks what livekit-api 1.2 sends: `POST /twirp/livekit.<Service>/<Method>` with a
binary protobuf body and `authorization: Bearer <HS256 JWT>`; a 200 carries a binary
protobuf, an error the Twirp JSON `{"code", "msg", "meta"}`. Served: `livekit.SIP` (outbound
trunks, CreateSIPParticipant), `livekit.RoomService` (rooms, participants) and
`livekit.AgentDispatchService`. Every request is recorded decoded, in arrival order
(`requests`, `of(method)`, `recorded(method)`).

- JWTs are verified with `api.TokenVerifier(key, secret)` and the grants checked the way
  LiveKit does: `sip.admin` for trunks, `sip.call` to dial, `video.roomCreate` to create and
  delete rooms, `video.roomList` to list them, `video.roomAdmin` for that room's participants
  and dispatches. Failures answer `unauthenticated` / `permission_denied`.
- Dials follow a `DialScript` (from `dial(request, attempt)`): ring for a while or until an
  event is set, then fail with a SIP status (Twirp meta `sip_status_code` / `sip_status`, the
  Twirp code LiveKit maps it to) or answer. An answered SIP participant carries the
  requested attributes plus `sip.callID` (`SCL_...`), `sip.callIDFull` (`<hex>@<host>`),
  `sip.callStatus`, `sip.trunkID`, `sip.phoneNumber`, `sip.trunkPhoneNumber`, and leaves
  after `answered_polls` GetParticipant reads (None: stays until removed or its room deleted).
- `refuse` answers a method with a Twirp error, e.g.
  `{"CreateSIPOutboundTrunk": ("invalid_argument", "...")}`.
- `latency` delays every request of a method; `max_in_flight` and `max_rooms` record the
  peak number of concurrent requests per method and of live rooms.

Run it in the test's loop (`async with LiveKitStandIn() as lk:`), in a thread
(`with lk.in_thread():`) for code that runs its own loop, or as a process:
`python -m ringback.livekit.testing [--ring S] [--polls N] [--latency METHOD=S]...` prints
`listening <url>` and serves until SIGTERM; `GET /_standin/stats` answers its counters as JSON.
Wait on state with `wait_until`, never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from google.protobuf.message import DecodeError, Message

from livekit import api
from livekit.protocol import agent_dispatch as pd
from livekit.protocol import models as pm
from livekit.protocol import room as pr
from livekit.protocol import sip as ps
from ringback.core.testing import StateSignal, running_in_thread

API_KEY = "APIstandin"
API_SECRET = "stand-in-secret-0123456789abcdefghijklmnop"
SIP_HOST = "sip.lk-standin.example.net"
"""The host part of the Call-IDs the stand-in makes up (LiveKit SIP's side of the INVITE)."""

TWIRP_HTTP_STATUS = {
    "canceled": 408,
    "unknown": 500,
    "invalid_argument": 400,
    "malformed": 400,
    "deadline_exceeded": 408,
    "not_found": 404,
    "bad_route": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "unauthenticated": 401,
    "resource_exhausted": 429,
    "failed_precondition": 412,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 501,
    "internal": 500,
    "unavailable": 503,
    "dataloss": 500,
}

# The Twirp code LiveKit answers for a SIP status (livekit/protocol, livekit/sip.go).
SIP_TWIRP_CODE = {
    401: "permission_denied",
    403: "permission_denied",
    404: "not_found",
    407: "unauthenticated",
    408: "deadline_exceeded",
    480: "resource_exhausted",
    486: "resource_exhausted",
    487: "aborted",
    500: "failed_precondition",
    502: "failed_precondition",
    503: "failed_precondition",
    504: "deadline_exceeded",
    600: "resource_exhausted",
    603: "permission_denied",
    604: "not_found",
}

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class _TwirpFailure(Exception):
    def __init__(self, code: str, msg: str, meta: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.meta = meta or {}


@dataclass
class DialScript:
    """How the stand-in plays one CreateSIPParticipant."""

    sip_status_code: int | None = None
    """Fail with this SIP status (e.g. 486); None: answer."""
    sip_status: str = ""
    ring: float = 0.0
    """Seconds of ringing before the answer or failure."""
    hold: asyncio.Event | None = None
    """Ring until this is set (created in the stand-in's loop)."""
    answered_polls: int | None = 1
    """GetParticipant reads answered before the callee hangs up; None: until removed."""
    call_id_full: bool | str = True
    """Whether LiveKit reports `sip.callIDFull` on the participant (a string: this value)."""


@dataclass
class Recorded:
    """One request as the stand-in decoded it."""

    seq: int
    service: str
    method: str
    message: Message | None
    at: float
    """`time.monotonic()` on arrival."""
    status: int | None = None
    error: str | None = None
    """The Twirp error code answered, if any."""


@dataclass
class ParticipantState:
    """A participant in a stand-in room; change `info` to play what LiveKit would."""

    info: pm.ParticipantInfo
    polls_left: int | None
    """GetParticipant reads left before the callee hangs up; None: until removed."""


@dataclass
class RoomState:
    """A live room of the stand-in."""

    room: pm.Room
    participants: dict[str, ParticipantState] = field(default_factory=dict)
    dispatches: list[pd.AgentDispatch] = field(default_factory=list)
    gone: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class _Route:
    request: type[Message]
    handler: Callable[[Any], Awaitable[Message]]
    grant: str
    """sip.admin, sip.call, video.roomCreate, video.roomList or video.roomAdmin."""


def _hid(prefix: str, n: int = 6) -> str:
    return f"{prefix}{secrets.token_hex(n)}"


class LiveKitStandIn:
    """LiveKit's server API on `host` (a free port), for the real `livekit.api` client:

        async with LiveKitStandIn() as server, server.client() as lkapi:
            ...  # code under test dials through `lkapi` (or `server.url`, `API_KEY`, `API_SECRET`)
        server.of("CreateSIPParticipant")  # what it asked for, decoded

    See the module docstring for what is served and how to script dials and failures.
    """

    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        api_secret: str = API_SECRET,
        host: str = "127.0.0.1",
        return_passwords: bool = False,
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.host = host
        self.port = 0
        self.return_passwords = return_passwords
        """Whether trunk reads include `auth_password` (LiveKit may leave it out)."""
        self.requests: list[Recorded] = []
        self.trunks: dict[str, ps.SIPOutboundTrunkInfo] = {}
        self.rooms: dict[str, RoomState] = {}
        self.deleted_rooms: list[str] = []
        self.hangups: list[tuple[str, str, str]] = []
        """(room, identity, how): `removed`, `room_deleted` or `callee` (hung up itself)."""
        self.answered: list[pm.ParticipantInfo] = []
        self.dispatches: list[pd.AgentDispatch] = []
        self.latency: dict[str, float] = {}
        self.refuse: dict[str, tuple[str, str]] = {}
        """Method -> (Twirp code, message) answered instead of serving it (after auth)."""
        self.dial: Callable[[ps.CreateSIPParticipantRequest, int], DialScript] = (
            lambda request, attempt: DialScript()
        )
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.max_rooms = 0
        self._dials: Counter[str] = Counter()
        self._seq = itertools.count(1)
        self._verifier = api.TokenVerifier(api_key, api_secret)
        self._signal = StateSignal()
        self._runner: web.AppRunner | None = None
        self._routes = self._route_table()

    # ── inspection ────────────────────────────────────────────────────────────
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, **kwargs: Any) -> api.LiveKitAPI:
        """The real client, pointed here with the right credentials."""
        return api.LiveKitAPI(self.url, self.api_key, self.api_secret, **kwargs)

    def of(self, method: str) -> list[Any]:
        """The decoded requests of `method` that were answered 200, in arrival order."""
        return [r.message for r in self.requests if r.method == method and r.status == 200]

    def recorded(self, method: str) -> list[Recorded]:
        """Every request of `method`, answered or refused, in arrival order."""
        return [r for r in self.requests if r.method == method]

    @property
    def live_calls(self) -> int:
        """SIP participants currently in a room."""
        return sum(
            1
            for room in self.rooms.values()
            for p in room.participants.values()
            if p.info.kind == pm.ParticipantInfo.Kind.SIP
        )

    @property
    def ringing(self) -> int:
        """CreateSIPParticipant requests in progress."""
        return self.in_flight["CreateSIPParticipant"]

    # ── lifecycle ─────────────────────────────────────────────────────────────
    async def start(self, port: int = 0) -> None:
        """Serve on `port` (0: a free one; `url` tells which) in the running loop."""
        self._signal.bind()
        app = web.Application()
        app.router.add_post("/twirp/livekit.{service}/{method}", self._handle)
        app.router.add_get("/_standin/stats", self._stats)
        self._runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=1.0,
            handler_cancellation=True,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for room in self.rooms.values():
            room.gone.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LiveKitStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[LiveKitStandIn]:
        """Serve from a background thread with its own event loop."""
        with running_in_thread(self.start, self.stop, name="livekit-standin"):
            yield self

    # ── waiting ───────────────────────────────────────────────────────────────
    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `predicate()` holds, re-checked whenever the stand-in's state changes."""
        await self._signal.wait_until(predicate, timeout)

    def wait_until_sync(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """`wait_until` for a thread outside the stand-in's loop."""
        self._signal.wait_until_sync(predicate, timeout)

    async def _notify(self) -> None:
        await self._signal.notify()

    def stats(self) -> dict[str, Any]:
        """Its counters, as `GET /_standin/stats` answers them (for a stand-in process)."""
        starts = [r.at for r in self.recorded("CreateRoom")]
        return {
            "requests": len(self.requests),
            "errors": dict(Counter(r.error for r in self.requests if r.error)),
            "rooms_created": len(starts),
            "rooms_left": len(self.rooms),
            "calls_answered": len(self.answered),
            "max_rooms": self.max_rooms,
            "max_in_flight": dict(self.max_in_flight),
            "starts": starts,
        }

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    # ── Twirp plumbing ────────────────────────────────────────────────────────
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        service, method = request.match_info["service"], request.match_info["method"]
        record = Recorded(next(self._seq), service, method, None, time.monotonic())
        self.requests.append(record)
        self.in_flight[method] += 1
        self.max_in_flight[method] = max(self.max_in_flight[method], self.in_flight[method])
        await self._notify()
        try:
            route = self._routes.get((service, method))
            if route is None:
                raise _TwirpFailure("bad_route", f"no handler for livekit.{service}/{method}")
            try:
                message = route.request.FromString(await request.read())
            except DecodeError as exc:
                raise _TwirpFailure("malformed", f"cannot decode the request: {exc}") from None
            record.message = message
            if delay := self.latency.get(method, 0.0):
                await asyncio.sleep(delay)
            self._authorize(request, route.grant, message)
            if method in self.refuse:
                raise _TwirpFailure(*self.refuse[method])
            response = await route.handler(message)
        except _TwirpFailure as failure:
            record.status = TWIRP_HTTP_STATUS[failure.code]
            record.error = failure.code
            body: dict[str, Any] = {"code": failure.code, "msg": failure.msg}
            if failure.meta:
                body["meta"] = failure.meta
            return web.json_response(body, status=record.status)
        finally:
            self.in_flight[method] -= 1
            await self._notify()
        record.status = 200
        return web.Response(body=response.SerializeToString(), content_type="application/protobuf")

    def _authorize(self, request: web.Request, grant: str, message: Message) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise _TwirpFailure("unauthenticated", "authorization header required")
        try:
            claims = self._verifier.verify(header.removeprefix("Bearer "))
        except (jwt.PyJWTError, ValueError) as exc:
            raise _TwirpFailure("unauthenticated", f"invalid token: {exc}") from None
        video = claims.video or api.VideoGrants()
        sip = claims.sip or api.SIPGrants()
        if grant == "sip.admin":
            allowed = sip.admin
        elif grant == "sip.call":
            allowed = sip.call
        elif grant == "video.roomCreate":
            allowed = bool(video.room_create)
        elif grant == "video.roomList":
            allowed = bool(video.room_list)
        else:
            room = getattr(message, "room", "")
            allowed = bool(video.room_admin) and (not video.room or video.room == room)
        if not allowed:
            raise _TwirpFailure("permission_denied", f"permissions denied: {grant} required")

    def _route_table(self) -> dict[tuple[str, str], _Route]:
        sip, rooms, dispatch = "SIP", "RoomService", "AgentDispatchService"
        return {
            (sip, "CreateSIPOutboundTrunk"): _Route(
                ps.CreateSIPOutboundTrunkRequest, self._create_trunk, "sip.admin"
            ),
            (sip, "ListSIPOutboundTrunk"): _Route(
                ps.ListSIPOutboundTrunkRequest, self._list_trunks, "sip.admin"
            ),
            (sip, "GetSIPOutboundTrunk"): _Route(
                ps.GetSIPOutboundTrunkRequest, self._get_trunk, "sip.admin"
            ),
            (sip, "UpdateSIPOutboundTrunk"): _Route(
                ps.UpdateSIPOutboundTrunkRequest, self._update_trunk, "sip.admin"
            ),
            (sip, "DeleteSIPTrunk"): _Route(
                ps.DeleteSIPTrunkRequest, self._delete_trunk, "sip.admin"
            ),
            (sip, "CreateSIPParticipant"): _Route(
                ps.CreateSIPParticipantRequest, self._create_sip_participant, "sip.call"
            ),
            (rooms, "CreateRoom"): _Route(
                pr.CreateRoomRequest, self._create_room, "video.roomCreate"
            ),
            (rooms, "DeleteRoom"): _Route(
                pr.DeleteRoomRequest, self._delete_room, "video.roomCreate"
            ),
            (rooms, "ListRooms"): _Route(pr.ListRoomsRequest, self._list_rooms, "video.roomList"),
            (rooms, "ListParticipants"): _Route(
                pr.ListParticipantsRequest, self._list_participants, "video.roomAdmin"
            ),
            (rooms, "GetParticipant"): _Route(
                pr.RoomParticipantIdentity, self._get_participant, "video.roomAdmin"
            ),
            (rooms, "RemoveParticipant"): _Route(
                pr.RoomParticipantIdentity, self._remove_participant, "video.roomAdmin"
            ),
            (dispatch, "CreateDispatch"): _Route(
                pd.CreateAgentDispatchRequest, self._create_dispatch, "video.roomAdmin"
            ),
            (dispatch, "DeleteDispatch"): _Route(
                pd.DeleteAgentDispatchRequest, self._delete_dispatch, "video.roomAdmin"
            ),
            (dispatch, "ListDispatch"): _Route(
                pd.ListAgentDispatchRequest, self._list_dispatch, "video.roomAdmin"
            ),
        }

    # ── trunks ────────────────────────────────────────────────────────────────
    @staticmethod
    def _validate_trunk(trunk: ps.SIPOutboundTrunkInfo) -> None:
        if not trunk.numbers:
            raise _TwirpFailure("invalid_argument", "no trunk numbers specified")
        address = trunk.address
        if not address:
            raise _TwirpFailure("invalid_argument", "no outbound address specified")
        if "transport=" in address:
            raise _TwirpFailure(
                "invalid_argument", "trunk transport should be set as a field, not a URI parameter"
            )
        if any(c in address for c in "@;") or address.startswith(("sip:", "sips:")):
            raise _TwirpFailure(
                "invalid_argument", "trunk address should be a hostname or IP, not SIP URI"
            )

    def _shown(self, trunk: ps.SIPOutboundTrunkInfo) -> ps.SIPOutboundTrunkInfo:
        copy = ps.SIPOutboundTrunkInfo()
        copy.CopyFrom(trunk)
        if not self.return_passwords:
            copy.auth_password = ""
        return copy

    async def _create_trunk(self, req: ps.CreateSIPOutboundTrunkRequest) -> Message:
        if not req.HasField("trunk"):
            raise _TwirpFailure("invalid_argument", "missing trunk")
        if req.trunk.sip_trunk_id:
            raise _TwirpFailure("invalid_argument", "trunk id must not be set")
        self._validate_trunk(req.trunk)
        trunk = ps.SIPOutboundTrunkInfo()
        trunk.CopyFrom(req.trunk)
        trunk.sip_trunk_id = _hid("ST_")
        trunk.created_at.GetCurrentTime()
        self.trunks[trunk.sip_trunk_id] = trunk
        return self._shown(trunk)

    async def _list_trunks(self, req: ps.ListSIPOutboundTrunkRequest) -> Message:
        if req.trunk_ids:
            items = [self.trunks[i] for i in req.trunk_ids if i in self.trunks]
        else:
            items = list(self.trunks.values())
        if req.numbers:
            items = [t for t in items if set(t.numbers) & set(req.numbers)]
        return ps.ListSIPOutboundTrunkResponse(items=[self._shown(t) for t in items])

    async def _get_trunk(self, req: ps.GetSIPOutboundTrunkRequest) -> Message:
        if req.sip_trunk_id not in self.trunks:
            raise _TwirpFailure("not_found", "requested sip trunk does not exist")
        return ps.GetSIPOutboundTrunkResponse(trunk=self._shown(self.trunks[req.sip_trunk_id]))

    async def _update_trunk(self, req: ps.UpdateSIPOutboundTrunkRequest) -> Message:
        have = self.trunks.get(req.sip_trunk_id)
        if have is None:
            raise _TwirpFailure("not_found", "requested sip trunk does not exist")
        action = req.WhichOneof("action")
        new = ps.SIPOutboundTrunkInfo()
        if action == "replace":
            if req.replace.sip_trunk_id not in ("", req.sip_trunk_id):
                raise _TwirpFailure("invalid_argument", "trunk id in the info must match")
            new.CopyFrom(req.replace)
        elif action == "update":
            new.CopyFrom(have)
            update = req.update
            for name in (
                "address",
                "transport",
                "auth_username",
                "auth_password",
                "name",
                "metadata",
                "media_encryption",
            ):
                if update.HasField(name):
                    setattr(new, name, getattr(update, name))
            if update.HasField("numbers"):
                numbers = list(update.numbers.set) if update.numbers.set else list(new.numbers)
                numbers = [n for n in numbers if n not in update.numbers.remove]
                numbers += [n for n in update.numbers.add if n not in numbers]
                del new.numbers[:]
                new.numbers.extend(numbers)
        else:
            raise _TwirpFailure("invalid_argument", "missing or unsupported update action")
        new.sip_trunk_id = req.sip_trunk_id
        new.created_at.CopyFrom(have.created_at)
        new.updated_at.GetCurrentTime()
        self._validate_trunk(new)
        self.trunks[req.sip_trunk_id] = new
        return self._shown(new)

    async def _delete_trunk(self, req: ps.DeleteSIPTrunkRequest) -> Message:
        trunk = self.trunks.pop(req.sip_trunk_id, None)
        if trunk is None:
            raise _TwirpFailure("not_found", "requested sip trunk does not exist")
        return ps.SIPTrunkInfo(sip_trunk_id=trunk.sip_trunk_id, name=trunk.name)

    # ── rooms and participants ────────────────────────────────────────────────
    def _ensure_room(self, name: str, metadata: str = "") -> RoomState:
        room = self.rooms.get(name)
        if room is None:
            room = RoomState(
                pm.Room(
                    sid=_hid("RM_"),
                    name=name,
                    metadata=metadata,
                    creation_time=int(time.time()),
                    creation_time_ms=int(time.time() * 1000),
                )
            )
            self.rooms[name] = room
            self.max_rooms = max(self.max_rooms, len(self.rooms))
        return room

    def _room(self, name: str) -> RoomState:
        room = self.rooms.get(name)
        if room is None:
            raise _TwirpFailure("not_found", "requested room does not exist")
        return room

    def _shown_room(self, room: RoomState) -> pm.Room:
        shown = pm.Room()
        shown.CopyFrom(room.room)
        shown.num_participants = len(room.participants)
        return shown

    async def _create_room(self, req: pr.CreateRoomRequest) -> Message:
        return self._shown_room(self._ensure_room(req.name, req.metadata))

    async def _delete_room(self, req: pr.DeleteRoomRequest) -> Message:
        room = self._room(req.room)
        for identity in room.participants:
            self.hangups.append((req.room, identity, "room_deleted"))
        del self.rooms[req.room]
        room.gone.set()
        self.deleted_rooms.append(req.room)
        return pr.DeleteRoomResponse()

    async def _list_rooms(self, req: pr.ListRoomsRequest) -> Message:
        names = set(req.names)
        return pr.ListRoomsResponse(
            rooms=[self._shown_room(r) for n, r in self.rooms.items() if not names or n in names]
        )

    async def _list_participants(self, req: pr.ListParticipantsRequest) -> Message:
        room = self._room(req.room)
        return pr.ListParticipantsResponse(
            participants=[p.info for p in room.participants.values()]
        )

    async def _get_participant(self, req: pr.RoomParticipantIdentity) -> Message:
        room = self._room(req.room)
        participant = room.participants.get(req.identity)
        if participant is None:
            raise _TwirpFailure("not_found", "participant does not exist")
        if participant.polls_left is not None:
            if participant.polls_left <= 0:
                del room.participants[req.identity]
                self.hangups.append((req.room, req.identity, "callee"))
                raise _TwirpFailure("not_found", "participant does not exist")
            participant.polls_left -= 1
        return participant.info

    async def _remove_participant(self, req: pr.RoomParticipantIdentity) -> Message:
        room = self._room(req.room)
        if room.participants.pop(req.identity, None) is None:
            raise _TwirpFailure("not_found", "participant does not exist")
        self.hangups.append((req.room, req.identity, "removed"))
        return pr.RemoveParticipantResponse()

    # ── dispatch ──────────────────────────────────────────────────────────────
    async def _create_dispatch(self, req: pd.CreateAgentDispatchRequest) -> Message:
        room = self._ensure_room(req.room)
        dispatch = pd.AgentDispatch(
            id=_hid("AD_"),
            agent_name=req.agent_name,
            room=req.room,
            metadata=req.metadata,
            attributes=dict(req.attributes),
        )
        room.dispatches.append(dispatch)
        self.dispatches.append(dispatch)
        return dispatch

    async def _delete_dispatch(self, req: pd.DeleteAgentDispatchRequest) -> Message:
        room = self._room(req.room)
        for dispatch in room.dispatches:
            if dispatch.id == req.dispatch_id:
                room.dispatches.remove(dispatch)
                return dispatch
        raise _TwirpFailure("not_found", "dispatch does not exist")

    async def _list_dispatch(self, req: pd.ListAgentDispatchRequest) -> Message:
        room = self._room(req.room)
        items = [d for d in room.dispatches if not req.dispatch_id or d.id == req.dispatch_id]
        return pd.ListAgentDispatchResponse(agent_dispatches=items)

    # ── dialling ──────────────────────────────────────────────────────────────
    async def _create_sip_participant(self, req: ps.CreateSIPParticipantRequest) -> Message:
        trunk = self.trunks.get(req.sip_trunk_id)
        if trunk is None:
            raise _TwirpFailure("not_found", "requested sip trunk does not exist")
        if not req.sip_call_to:
            raise _TwirpFailure("invalid_argument", "missing sip callee number")
        for name, value in req.headers.items():
            if not _TOKEN.match(name):
                raise _TwirpFailure("invalid_argument", f"invalid header name: {name!r}")
            if any(c in value for c in "\r\n\0"):
                raise _TwirpFailure("invalid_argument", f"invalid header value for {name}")
        attempt = self._dials[req.room_name]
        self._dials[req.room_name] += 1
        script = self.dial(req, attempt)
        room = self._ensure_room(req.room_name)
        await self._ring(room, script)
        if req.room_name not in self.rooms:
            raise _TwirpFailure("canceled", "the room was deleted while the call was ringing")
        if script.sip_status_code is not None:
            code = script.sip_status_code
            status = script.sip_status or str(code)
            twirp = SIP_TWIRP_CODE.get(
                code, "failed_precondition" if 500 <= code < 600 else "invalid_argument"
            )
            raise _TwirpFailure(
                twirp,
                f"sip status {code}: {status}",
                {"sip_status_code": str(code), "sip_status": status},
            )
        scl = _hid("SCL_")
        identity = req.participant_identity or f"sip_{req.sip_call_to}"
        attributes = dict(req.participant_attributes)
        attributes.update(
            {
                "sip.callID": scl,
                "sip.callStatus": "active",
                "sip.trunkID": trunk.sip_trunk_id,
                "sip.phoneNumber": req.sip_call_to,
                "sip.trunkPhoneNumber": req.sip_number or trunk.numbers[0],
            }
        )
        if isinstance(script.call_id_full, str):
            attributes["sip.callIDFull"] = script.call_id_full
        elif script.call_id_full:
            attributes["sip.callIDFull"] = f"{secrets.token_hex(16)}@{SIP_HOST}"
        info = pm.ParticipantInfo(
            sid=_hid("PA_"),
            identity=identity,
            name=req.participant_name,
            metadata=req.participant_metadata,
            state=pm.ParticipantInfo.State.ACTIVE,
            kind=pm.ParticipantInfo.Kind.SIP,
            attributes=attributes,
            joined_at=int(time.time()),
        )
        room.participants[identity] = ParticipantState(info, script.answered_polls)
        self.answered.append(info)
        return ps.SIPParticipantInfo(
            participant_id=info.sid,
            participant_identity=identity,
            room_name=req.room_name,
            sip_call_id=scl,
        )

    @staticmethod
    async def _ring(room: RoomState, script: DialScript) -> None:
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(room.gone.wait())]
        if script.hold is not None:
            waits.append(asyncio.ensure_future(script.hold.wait()))
        if script.ring > 0:
            waits.append(asyncio.ensure_future(asyncio.sleep(script.ring)))
        if len(waits) == 1:
            waits[0].cancel()
            return
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
