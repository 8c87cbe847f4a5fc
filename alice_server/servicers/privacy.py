"""PrivacyService: protobuf in, service call, protobuf out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from alice_server.auth import current_tenant
from alice_server.domain.errors import InvalidArgument
from alice_server.domain.identity import UserIdNormalizer
from alice_server.domain.privacy import PLATFORM_ACTOR, ExportHeader, check_customer_id
from alice_server.servicers import tenant_convert as convert
from alice_server.services.privacy import PrivacyService
from chad_client.v1 import privacy_service_pb2 as pb
from chad_client.v1 import privacy_service_pb2_grpc as pb_grpc


class PrivacyServicer(pb_grpc.PrivacyServiceServicer):
    def __init__(self, service: PrivacyService, normalize: UserIdNormalizer) -> None:
        self._service = service
        self._normalize = normalize

    async def ExportUserData(
        self, request: pb.ExportUserDataRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ExportUserDataResponse]:
        rows = await self._service.export_user(
            current_tenant().customer_id, self._normalize(request.user_id)
        )
        for table, row in rows:
            yield pb.ExportUserDataResponse(record=convert.data_record(table, row))

    async def DeleteUserData(
        self, request: pb.DeleteUserDataRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteUserDataResponse:
        erasure = await self._service.erase_user(
            current_tenant().customer_id, self._normalize(request.user_id)
        )
        return pb.DeleteUserDataResponse(
            counts=convert.counts(erasure.counts), audit=convert.audit(erasure.audit)
        )

    async def ListMyAuditRecords(
        self, request: pb.ListMyAuditRecordsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMyAuditRecordsResponse:
        page = await self._service.my_audit(
            current_tenant().customer_id, request.page_size, request.page_token
        )
        return pb.ListMyAuditRecordsResponse(
            records=[convert.audit(r) for r in page.records], next_page_token=page.next_page_token
        )

    async def ExportCustomerData(
        self, request: pb.ExportCustomerDataRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ExportCustomerDataResponse]:
        customer_id = check_customer_id(request.customer_id)
        async for item in self._service.export_customer(customer_id, PLATFORM_ACTOR):
            if isinstance(item, ExportHeader):
                yield pb.ExportCustomerDataResponse(header=convert.export_header(item))
            else:
                yield pb.ExportCustomerDataResponse(record=convert.data_record(*item))

    async def DeleteCustomerData(
        self, request: pb.DeleteCustomerDataRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteCustomerDataResponse:
        customer_id = check_customer_id(request.customer_id)
        if request.confirm_customer_id != customer_id:
            raise InvalidArgument("confirm_customer_id must repeat customer_id")
        erasure = await self._service.erase_customer(customer_id, PLATFORM_ACTOR)
        return pb.DeleteCustomerDataResponse(
            counts=convert.counts(erasure.counts), audit=convert.audit(erasure.audit)
        )

    async def ListAuditRecords(
        self, request: pb.ListAuditRecordsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAuditRecordsResponse:
        if request.customer_id < 0:
            raise InvalidArgument("customer_id must be 0 (all) or a customer id")
        page = await self._service.audit(
            request.customer_id or None, request.page_size, request.page_token
        )
        return pb.ListAuditRecordsResponse(
            records=[convert.audit(r) for r in page.records], next_page_token=page.next_page_token
        )
