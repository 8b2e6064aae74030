"""A headless Reflex tab for benchmarks: speaks the app's websocket protocol like the compiled frontend.

What the browser does (``reflex_base/.templates/web/utils/state.js`` and ``.web/utils/context.jsx``) and
what this client does alike:

- Socket.IO (Engine.IO v4, websocket transport only) at ``<base>/_event/?token=<tab token>``, namespace
  ``/_event`` (the frontend passes the URL with its path to ``io()``); the tab token is a new UUID per
  tab (the browser's session-storage ``token``). Cookies (the session) ride in the handshake's headers.
- The boot event ``<root state>.hydrate_and_load`` rides in the CONNECT packet's ``auth`` payload
  (``{"event": ...}``), with the client-storage vars in ``payload["vars"]`` keyed by the full var name
  (e.g. ``...some_state.var_rx_state_``), and ``router_data`` (pathname, asPath, query). Unlike
  the browser it sends no ``hashes`` of compiled defaults (so the hydrate delta is the full state) and no
  ``state_schema`` (so no version check).
- The server answers with ``"event"`` messages ``{"delta": {state: {var_rx_state_: value}}, "events": [...]}``.
  ``_redirect`` navigates (client-side: ``update_vars_internal`` + ``on_load_internal`` for the new
  location, as ``onLoadInternalEvent`` does); other events not starting with "_" (e.g. the push channel's
  ``on_push``) are sent straight back with this tab's router data; ``_call_function`` toasts are recorded.

The websocket is ``websockets`` (a pinned dependency) and the Socket.IO packets are python-socketio's codec
(``socketio.packet``): ``socketio.AsyncClient`` needs ``aiohttp`` for its transport, which the project does
not install. Times are ``time.perf_counter()`` seconds, taken when a frame arrives.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from socketio import packet as sio

#: The suffix Reflex gives every state var in deltas and client-storage keys.
FIELD = "_rx_state_"
#: The socket's URL path, which is also its Socket.IO namespace (``constants.Endpoint.EVENT``). The server
#: also acknowledges a CONNECT to the default namespace "/", but then ignores that namespace's events.
NAMESPACE = "/_event"
_TOAST = re.compile(r"""__toast'\]\?\.\["(\w+)"\]\((.*)\)\)""", re.S)


def names() -> dict[str, str]:
    """Full names of the states and internal handlers the benchmark uses (from the app's own classes)."""
    from reflex.state import OnLoadInternalState, State, UpdateVarsInternalState

    from genpire_app.state.ai_designer import DesignerState
    from genpire_app.state.dashboard import DashboardState
    from genpire_app.state.session import SessionState

    return {
        "root": State.get_full_name(),
        "session": SessionState.get_full_name(),
        "dashboard": DashboardState.get_full_name(),
        "designer": DesignerState.get_full_name(),
        "update_vars": f"{UpdateVarsInternalState.get_full_name()}.update_vars_internal",
        "on_load": f"{OnLoadInternalState.get_full_name()}.on_load_internal",
    }


@dataclass
class Toast:
    """A toast the server asked the tab to show: when (perf_counter s), level and text."""

    at: float
    level: str
    text: str


@dataclass
class _Waiter:
    predicate: Callable[[], bool]
    future: asyncio.Future = field(repr=False)


class ReflexClient:
    """One browser tab: connect, send events, keep the merged state, wait for conditions on it.

    Args:
        base_url: the app's origin, e.g. ``http://127.0.0.1:8000``.
        storage: client-storage vars sent on hydrate and navigation (full var name -> value).
        names: from :func:`names`.
        cookies: cookies the browser would send with the websocket handshake (e.g. the session cookie).
    """

    def __init__(self, base_url: str, storage: dict[str, str], names: dict[str, str],
                 cookies: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.storage = storage
        self.names = names
        self.cookies = dict(cookies or {})
        self.token = str(uuid.uuid4())
        #: Full state name -> var name (without the suffix) -> value, merged from every delta.
        self.state: dict[str, dict[str, Any]] = {}
        self.pathname, self.search = "/", ""
        self.toasts: list[Toast] = []
        self.updates = 0
        self.connected = False
        self._ws: Any = None
        self._reader: asyncio.Task | None = None
        self._waiters: list[_Waiter] = []
        self._ack: asyncio.Future | None = None

    # ------------------------------------------------------------------ state

    def var(self, state: str, name: str, default: Any = None) -> Any:
        """A var's last known value; ``state`` is a key of :func:`names` or a full state name."""
        return self.state.get(self.names.get(state, state), {}).get(name, default)

    @property
    def query(self) -> dict[str, str]:
        """The current location's query parameters."""
        return dict(urllib.parse.parse_qsl(self.search.lstrip("?")))

    def _router_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"pathname": self.pathname, "asPath": self.pathname + self.search}
        if self.query:
            data["query"] = self.query
        return data

    def _locate(self, path: str) -> None:
        parts = urllib.parse.urlsplit(path)
        self.pathname = parts.path or "/"
        self.search = f"?{parts.query}" if parts.query else ""

    # ------------------------------------------------------------------ connection

    async def connect(self, path: str, timeout: float = 30.0) -> None:
        """Open the socket on ``path`` (e.g. ``/dashboard``) and hydrate it, as a page load does."""
        self._locate(path)
        self.state.setdefault(self.names["root"], {})["is_hydrated"] = False
        url = self.base_url.replace("http", "ws", 1) + NAMESPACE + "/?" + urllib.parse.urlencode(
            {"EIO": "4", "transport": "websocket", "token": self.token})
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        self._ws = await websockets.connect(url, max_size=None, open_timeout=timeout, origin=self.base_url,
                                            additional_headers=headers)
        opened = await asyncio.wait_for(self._ws.recv(), timeout)
        if not str(opened).startswith("0"):
            raise ConnectionError(f"unexpected Engine.IO open packet: {opened!r}")
        self._ack = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(), name=f"reflex-tab-{self.token[:8]}")
        boot = {"name": f"{self.names['root']}.hydrate_and_load", "payload": {"vars": self.storage},
                "router_data": self._router_data()}
        await self._ws.send("4" + sio.Packet(sio.CONNECT, data={"event": boot}, namespace=NAMESPACE).encode())
        await asyncio.wait_for(self._ack, timeout)
        self.connected = True

    async def close(self) -> None:
        """Disconnect (Socket.IO DISCONNECT, then close the websocket)."""
        self.connected = False
        if self._ws is not None:
            try:
                await self._ws.send("41" + NAMESPACE + ",")
                await self._ws.close()
            except websockets.ConnectionClosed:
                pass
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                at = time.perf_counter()
                if isinstance(frame, bytes):
                    continue
                kind = frame[:1]
                if kind == "2":  # Engine.IO ping from the server
                    await self._ws.send("3" + frame[1:])
                elif kind == "1":
                    break
                elif kind == "4":
                    await self._on_packet(at, sio.Packet(encoded_packet=frame[1:]))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.connected = False
            err = ConnectionError(f"tab {self.token[:8]} disconnected")
            if self._ack is not None and not self._ack.done():
                self._ack.set_exception(err)
            for w in self._waiters:
                if not w.future.done():
                    w.future.set_exception(err)
            self._waiters.clear()

    async def _on_packet(self, at: float, pkt: sio.Packet) -> None:
        if pkt.packet_type == sio.CONNECT and self._ack is not None and not self._ack.done():
            self._ack.set_result(pkt.data)
        elif pkt.packet_type == sio.CONNECT_ERROR and self._ack is not None and not self._ack.done():
            self._ack.set_exception(ConnectionError(f"connect refused: {pkt.data}"))
        elif pkt.packet_type == sio.DISCONNECT:
            await self._ws.close()
        elif pkt.packet_type == sio.EVENT and pkt.data and pkt.data[0] == "event":
            await self._on_update(at, pkt.data[1])

    async def _on_update(self, at: float, update: dict[str, Any]) -> None:
        """Apply a ``StateUpdate``: merge the delta, run its events, then wake the waiters it satisfies."""
        self.updates += 1
        for substate, values in (update.get("delta") or {}).items():
            target = self.state.setdefault(substate, {})
            for key, value in values.items():
                target[key.removesuffix(FIELD)] = value
        for event in update.get("events") or []:
            await self._on_event(at, event)
        for w in list(self._waiters):
            if w.future.done():
                self._waiters.remove(w)
            elif w.predicate():
                w.future.set_result(at)
                self._waiters.remove(w)

    async def _on_event(self, at: float, event: dict[str, Any]) -> None:
        name, payload = event.get("name", ""), event.get("payload") or {}
        if name == "_redirect" and payload.get("path") and not payload.get("external"):
            await self.navigate(payload["path"])
        elif name == "_call_function":
            match = _TOAST.search(str(payload.get("function", "")))
            if match:
                self.toasts.append(Toast(at, match.group(1), match.group(2)[:300]))
        elif name and not name.startswith("_"):
            await self.emit(name, payload)  # a server-queued event (the push channel's on_push)

    # ------------------------------------------------------------------ sending

    async def emit(self, name: str, payload: dict[str, Any] | None = None) -> float:
        """Send an event (``name`` is the full handler name) from the current location.

        Returns:
            ``time.perf_counter()`` just before the frame was written (seconds).
        """
        event = {"name": name, "payload": payload or {}, "router_data": self._router_data()}
        frame = "4" + sio.Packet(sio.EVENT, data=["event", event], namespace=NAMESPACE).encode()
        sent = time.perf_counter()
        await self._ws.send(frame)
        return sent

    async def navigate(self, path: str) -> None:
        """Client-side navigation to ``path``: what the frontend sends on a route change."""
        self._locate(path)
        self.state.setdefault(self.names["root"], {})["is_hydrated"] = False
        if self.storage:
            await self.emit(self.names["update_vars"], {"vars": self.storage})
        await self.emit(self.names["on_load"])

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> float:
        """Wait until ``predicate()`` holds after an update (checked now, then after each update).

        Returns:
            The arrival time (perf_counter seconds) of the update that made it hold; now if it already did.

        Raises:
            TimeoutError: not within ``timeout`` seconds. ConnectionError: the socket closed meanwhile.
        """
        if predicate():
            return time.perf_counter()
        if not self.connected:
            raise ConnectionError(f"tab {self.token[:8]} is not connected")
        waiter = _Waiter(predicate, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter.future, timeout)
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def describe(self) -> str:
        """One line for diagnostics: location, designer/dashboard status and the last toasts."""
        d = lambda n: self.var("designer", n)  # noqa: E731
        toasts = "; ".join(f"{t.level}: {t.text}" for t in self.toasts[-3:])
        return (f"at {self.pathname}{self.search} hydrated={self.var('root', 'is_hydrated')} "
                f"phase={d('phase')!r} busy={d('busy')!r} last_error={d('last_error')!r} "
                f"form_error={self.var('dashboard', 'form_error')!r} "
                f"idea_error={self.var('dashboard', 'idea_error')!r} "
                f"balance={self.var('session', 'balance')} signed_in={self.var('session', 'signed_in')} "
                f"updates={self.updates} toasts=[{toasts}]")


__all__ = ["FIELD", "ReflexClient", "Toast", "names"]
