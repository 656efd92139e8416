"""A service process's life: start components in order, run until SIGTERM, stop in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import uvicorn
from fastapi import FastAPI
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.js import JetStreamContext

from helpdesk_kit import streams
from helpdesk_kit.config import ServiceSettings
from helpdesk_kit.db import Database
from helpdesk_kit.faults import is_transient
from helpdesk_kit.http import http_server, split_ops
from helpdesk_kit.inbox import Consumer
from helpdesk_kit.logs import configure_logging, get_logger
from helpdesk_kit.memory import release_free_memory
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.rpc import GrpcServer
from helpdesk_kit.tracing import configure_tracing

__all__ = ["Lifecycle", "start_process"]

log = get_logger(__name__)

# Seconds after the start when what starting freed is given back (helpdesk_kit.memory): the
# servers listen and the channels are open by then.
SETTLED_SECONDS = 5.0


class Lifecycle:
    """Holds what a process runs. Background tasks that crash stop the process (fail fast),
    so the supervisor restarts it rather than leaving it half-alive. A transient failure
    (``helpdesk_kit.faults``: the database restarting, NATS away) is no crash: consumers
    and the relay wait it out themselves, and other loops run under :meth:`supervise`."""

    def __init__(self, *, ops_port: int | None = None) -> None:
        self.stopping = asyncio.Event()
        self._ops_port = ops_port
        self._stack = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[Any]] = []
        #: The consumers this process runs (the Ops service replays their parked events).
        self.consumers: list[Consumer] = []

    def on_stop(self, callback: Callable[[], Awaitable[Any]]) -> None:
        """Runs at stop, in reverse order of registration."""
        self._stack.push_async_callback(callback)

    async def open_database(self, url: str, *, schema: str, pool_size: int) -> Database:
        db = Database(url, schema=schema, pool_size=pool_size)
        await db.connect()
        self.on_stop(db.close)
        return db

    async def open_nats(self, url: str, *, name: str) -> tuple[NATS, JetStreamContext]:
        nc = await streams.connect(url, name=name)

        async def close() -> None:
            # Consumers and relays have stopped by now (they stop first); drain what is in
            # flight briefly, but never wait nats-py's 30 s drain timeout on shutdown.
            try:
                await asyncio.wait_for(nc.drain(), timeout=2)
            except (TimeoutError, NatsError):
                await nc.close()

        self.on_stop(close)
        return nc, nc.jetstream()

    def run_relay(self, relay: OutboxRelay) -> None:
        task = self.spawn(relay.run(), name="outbox-relay")
        self.on_stop(_stop_and_wait(relay.stop, task))

    def run_consumer(self, consumer: Consumer) -> None:
        self.consumers.append(consumer)
        task = self.spawn(consumer.run(), name=f"consumer-{consumer.name}")
        self.on_stop(_stop_and_wait(consumer.stop, task))

    async def serve_grpc(self, server: GrpcServer, *, grace: float) -> None:
        await server.start()
        self.on_stop(lambda: server.stop(grace))

    def serve_http(self, server: uvicorn.Server) -> None:
        """Serves until stop; at stop, finishes the requests in flight first.

        With an ops port (``HELPDESK_OPS_PORT``) other than the server's, the app's
        /healthz, /readyz and /metrics move to a second server on that port, which
        stops after the API's: probes keep their answers while the API drains.
        """
        app = server.config.app
        if self._ops_port is not None and self._ops_port != server.config.port and isinstance(app, FastAPI):
            ops = http_server(split_ops(app), port=self._ops_port, host=server.config.host)
            self._serve(ops, name="ops")
        self._serve(server, name="http")

    def _serve(self, server: uvicorn.Server, *, name: str) -> None:
        task = self.spawn(server.serve(), name=name)

        async def stop() -> None:
            server.should_exit = True
            await asyncio.wait([task], timeout=10)

        self.on_stop(stop)

    def supervise(self, make: Callable[[], Coroutine[Any, Any, Any]], *, name: str) -> asyncio.Task[Any]:
        """Runs a background loop ``make()`` that outlives transient failures: when one
        escapes, the loop is started again after a pause (growing to 30 s, with jitter).
        Any other failure still stops the process."""
        return self.spawn(_restarting(make, name, self.stopping), name=name)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._on_task_done)
        self._tasks.append(task)
        return task

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled() or self.stopping.is_set():
            return
        exc = task.exception()
        log.error("runtime.task_ended", task=task.get_name(), error=repr(exc))
        self.stopping.set()

    async def run_until_stopped(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        log.info("runtime.started")
        loop.call_later(SETTLED_SECONDS, release_free_memory)
        await self.stopping.wait()
        log.info("runtime.stopping")
        await self._stack.aclose()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        log.info("runtime.stopped")


async def _restarting(
    make: Callable[[], Coroutine[Any, Any, Any]], name: str, stopping: asyncio.Event
) -> None:
    delay = 0.5
    while not stopping.is_set():
        try:
            await make()
            return
        except Exception as exc:
            if not is_transient(exc):
                raise
            pause = delay * (0.5 + random.random() / 2)
            log.warning("runtime.task_restarting", task=name, error=repr(exc), retry_in=round(pause, 2))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=pause)
            delay = min(delay * 2, 30.0)


def _stop_and_wait(stop: Callable[[], None], task: asyncio.Task[Any]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        stop()
        await asyncio.wait([task], timeout=10)

    return run


def start_process(*, service: str, settings: ServiceSettings) -> Lifecycle:
    """Logging and tracing for a service process, and the lifecycle that will flush them."""
    configure_logging(service=service, level=settings.log_level, fmt=settings.log_format)
    provider = configure_tracing(service=service, otlp_endpoint=settings.otlp_endpoint)
    life = Lifecycle(ops_port=settings.ops_port)
    if provider is not None:

        async def flush() -> None:
            await asyncio.to_thread(provider.shutdown)

        life.on_stop(flush)
    return life
