"""ConsoleService: protobuf in, service call, protobuf out (platform tokens only)."""

from __future__ import annotations

import datetime as dt

import grpc
from google.protobuf import timestamp_pb2

from alice_server.domain import console_users
from alice_server.domain.console_users import ConsoleRole, ConsoleUser, ConsoleUserChanges
from alice_server.domain.errors import InvalidArgument
from alice_server.services.console_users import ConsoleUsers
from alice_server.services.usage import TenantUsage
from chad_client.v1 import console_service_pb2 as pb
from chad_client.v1 import console_service_pb2_grpc as pb_grpc

ROLE_ENUM = {
    console_users.OPERATOR: pb.CONSOLE_ROLE_OPERATOR,
    console_users.TENANT_ADMIN: pb.CONSOLE_ROLE_TENANT_ADMIN,
}
ROLE_NAME: dict[int, ConsoleRole] = {int(number): name for name, number in ROLE_ENUM.items()}


def _timestamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(value)
    return message


def console_user(user: ConsoleUser, *, with_hash: bool = False) -> pb.ConsoleUser:
    message = pb.ConsoleUser(
        id=user.id,
        login=user.login,
        role=ROLE_ENUM[user.role],
        customer_id=user.customer_id or 0,
        disabled=user.disabled,
        password_hash=user.password_hash if with_hash else "",
        created_at=_timestamp(user.created_at),
        updated_at=_timestamp(user.updated_at),
    )
    if user.last_login_at is not None:
        message.last_login_at.CopyFrom(_timestamp(user.last_login_at))
    return message


class ConsoleServicer(pb_grpc.ConsoleServiceServicer):
    def __init__(self, users: ConsoleUsers, usage: TenantUsage) -> None:
        self._users = users
        self._usage = usage

    async def CreateConsoleUser(
        self, request: pb.CreateConsoleUserRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateConsoleUserResponse:
        new = console_users.new_console_user(
            request.login,
            request.password_hash,
            ROLE_NAME.get(request.role),
            request.customer_id,
        )
        user = await self._users.create(new)
        return pb.CreateConsoleUserResponse(user=console_user(user))

    async def GetConsoleUser(
        self, request: pb.GetConsoleUserRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetConsoleUserResponse:
        user = await self._users.by_login(console_users.check_login(request.login))
        return pb.GetConsoleUserResponse(user=console_user(user, with_hash=True))

    async def ListConsoleUsers(
        self, request: pb.ListConsoleUsersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListConsoleUsersResponse:
        if request.customer_id < 0:
            raise InvalidArgument("customer_id must not be negative (0: every user)")
        page = await self._users.page(
            request.customer_id or None, request.page_size, request.page_token
        )
        return pb.ListConsoleUsersResponse(
            users=[console_user(u) for u in page.users], next_page_token=page.next_page_token
        )

    async def UpdateConsoleUser(
        self, request: pb.UpdateConsoleUserRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateConsoleUserResponse:
        if request.id <= 0:
            raise InvalidArgument("id must be a positive console user id")
        changes = ConsoleUserChanges(
            disabled=request.disabled if request.HasField("disabled") else None,
            password_hash=(
                console_users.check_password_hash(request.password_hash)
                if request.HasField("password_hash")
                else None
            ),
            record_login=request.record_login,
        )
        if not changes:
            raise InvalidArgument("nothing to change: set disabled, password_hash or record_login")
        user = await self._users.update(request.id, changes)
        return pb.UpdateConsoleUserResponse(user=console_user(user))

    async def GetTenantUsage(
        self, request: pb.GetTenantUsageRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetTenantUsageResponse:
        days = await self._usage.daily(request.customer_id, request.days)
        return pb.GetTenantUsageResponse(
            days=[
                pb.DailyUsage(
                    date=day.day.isoformat(),
                    calls=day.calls,
                    callers=day.callers,
                    new_callers=day.new_callers,
                    memories=day.memories,
                    rpc_count=day.rpc_count,
                    error_count=day.error_count,
                )
                for day in days
            ]
        )
