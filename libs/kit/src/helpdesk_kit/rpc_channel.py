"""The client channel :func:`helpdesk_kit.rpc.channel` gives: unary calls with a default
deadline, the caller's credentials and errors mapped back, without grpc.aio's interceptors.

A grpc.aio unary interceptor costs every call an extra task (``InterceptedUnaryUnaryCall``
runs the chain in one of its own), a copy of the call's details and a wrapper call object:
7 % of the gateway's samples when it creates tickets (bench/RESULTS.md § The gateway's
per-ticket CPU toward the lean reference). The same work is done here by a thin wrapper
of each unary method, around the channel's own (not intercepted) call: the metadata
extended, the deadline defaulted, an ``AioRpcError`` turned into the servicer's
``AppError``. Streaming calls, and tracing's interceptors when tracing is on, stay with
the wrapped channel.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import grpc

from helpdesk_kit.trust import PASSPORT_HEADER, outgoing_passport

__all__ = ["MeshChannel", "Translate"]

# The error mapping of helpdesk_kit.rpc (passed in: that module builds these channels).
Translate = Callable[[grpc.aio.AioRpcError, str], Exception]


class _UnaryMethod(grpc.aio.UnaryUnaryMultiCallable):  # type: ignore[type-arg]
    """One unary method: calling it gives the awaitable of its answer (what the stubs'
    callers do with a call: ``await stub.Method(request)``)."""

    __slots__ = ("_deadline", "_inner", "_own", "_service", "_translate")

    def __init__(
        self,
        inner: grpc.aio.UnaryUnaryMultiCallable,  # type: ignore[type-arg]
        *,
        service: str,
        deadline: float,
        own: tuple[tuple[str, str], ...],
        translate: Translate,
    ) -> None:
        self._inner = inner
        self._service = service
        self._deadline = deadline
        self._own = own
        self._translate = translate

    def __call__(
        self,
        request: Any,
        *,
        timeout: float | None = None,
        metadata: Any = None,
        credentials: grpc.CallCredentials | None = None,
        wait_for_ready: bool | None = None,
        compression: grpc.Compression | None = None,
    ) -> Any:
        passport = outgoing_passport()
        if passport or self._own:
            extra = (*self._own, (PASSPORT_HEADER, passport)) if passport else self._own
            metadata = (*metadata, *extra) if metadata else extra
        return self._answer(
            self._inner(
                request,
                timeout=self._deadline if timeout is None else timeout,
                metadata=metadata,
                credentials=credentials,
                wait_for_ready=wait_for_ready,
                compression=compression,
            )
        )

    async def _answer(self, call: Any) -> Any:
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            raise self._translate(exc, self._service) from exc


class MeshChannel(grpc.aio.Channel):
    """``inner`` with its unary methods wrapped (see the module docstring); everything else
    is the inner channel's."""

    def __init__(
        self,
        inner: grpc.aio.Channel,
        *,
        service: str,
        deadline: float,
        own: tuple[tuple[str, str], ...],
        translate: Translate,
    ) -> None:
        self._inner = inner
        self._service = service
        self._deadline = deadline
        self._own = own
        self._translate = translate

    def unary_unary(self, *args: Any, **kwargs: Any) -> Any:
        # As the stubs call it: the method's path, its codec, and grpc's private
        # ``_registered_method`` flag, all passed on.
        inner = self._inner.unary_unary(*args, **kwargs)
        return _UnaryMethod(
            inner, service=self._service, deadline=self._deadline, own=self._own, translate=self._translate
        )

    def unary_stream(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.unary_stream(*args, **kwargs)

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.stream_unary(*args, **kwargs)

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.stream_stream(*args, **kwargs)

    async def __aenter__(self) -> MeshChannel:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        return await self._inner.__aexit__(exc_type, exc_val, exc_tb)

    async def close(self, grace: float | None = None) -> None:
        await self._inner.close(grace)

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self._inner.get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self._inner.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self._inner.channel_ready()
