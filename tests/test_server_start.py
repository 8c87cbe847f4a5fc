"""start_server builds and starts the server in one go; if a step fails, what it had
started is stopped again (here: the metrics endpoint, when the gRPC port is taken)."""

from __future__ import annotations

import dataclasses
import socket

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from alice_server.server import start_server
from alice_server.storage.database import Database
from alice_server.testing import settings_for_tests
from tests.support.http import http_get
from tests.support.ports import free_port


def _nothing_listens_on(port: int) -> None:
    with socket.socket() as probe:  # SO_REUSEADDR: TIME_WAIT is fine, a listener is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()


async def test_a_taken_port_refuses_to_start_and_leaves_nothing_open(database, secret):
    metrics_port = free_port()
    db = Database(database.app_url)
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            settings = dataclasses.replace(
                settings_for_tests(metrics_address=f"127.0.0.1:{metrics_port}", workers=1),
                listen_address=f"127.0.0.1:{port}",
            )
            with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
                await start_server(settings, db, secret)
    finally:
        await db.close()
    _nothing_listens_on(metrics_port)  # the metrics endpoint it had opened is closed


async def test_a_started_server_serves_health_and_metrics_until_stopped(database, secret):
    metrics_port = free_port()
    db = Database(database.app_url)
    settings = settings_for_tests(metrics_address=f"127.0.0.1:{metrics_port}")
    try:
        server = await start_server(settings, db, secret)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest()
                )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            assert "alice_health_serving 1.0" in http_get(
                f"http://127.0.0.1:{metrics_port}/metrics"
            )
        finally:
            await server.stop(0)
    finally:
        await db.close()
    _nothing_listens_on(metrics_port)
