"""TenantService: protobuf in, service call, protobuf out.

The interceptor has already checked the token: platform RPCs only see platform
tokens, tenant RPCs only tenant tokens (see rpc_scopes.PLATFORM_METHOD_SCOPES).
"""

from __future__ import annotations

import grpc

from alice_server.auth import current_tenant
from alice_server.domain import tenants
from alice_server.domain.privacy import check_customer_id
from alice_server.servicers import tenant_convert as convert
from alice_server.services.tenants import CustomerAdmin, TenantProfiles
from chad_client.v1 import tenant_service_pb2 as pb
from chad_client.v1 import tenant_service_pb2_grpc as pb_grpc


class TenantServicer(pb_grpc.TenantServiceServicer):
    def __init__(
        self, admin: CustomerAdmin, profiles: TenantProfiles, phones: tenants.PhoneNumbers
    ) -> None:
        self._admin = admin
        self._profiles = profiles
        self._phones = phones

    # ------------------------------------------------------------------ platform

    async def CreateCustomer(
        self, request: pb.CreateCustomerRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateCustomerResponse:
        draft = tenants.draft(
            self._phones,
            business_name=request.business_name,
            agent_name=request.agent_name,
            greeting_template=request.greeting_template,
            voice=request.voice,
            twilio_number=request.twilio_number,
            time_zone=request.time_zone,
            rate_limit_per_second=(
                request.rate_limit_per_second if request.HasField("rate_limit_per_second") else None
            ),
        )
        customer = await self._admin.create(draft)
        return pb.CreateCustomerResponse(customer=convert.customer(customer))

    async def GetCustomer(
        self, request: pb.GetCustomerRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCustomerResponse:
        customer = await self._admin.get(check_customer_id(request.customer_id))
        return pb.GetCustomerResponse(customer=convert.customer(customer))

    async def ListCustomers(
        self, request: pb.ListCustomersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCustomersResponse:
        status = convert.status_name(request.status, allow_unspecified=True)
        page = await self._admin.page(request.page_size, request.page_token, status)
        return pb.ListCustomersResponse(
            customers=[convert.customer(c) for c in page.customers],
            next_page_token=page.next_page_token,
        )

    async def UpdateCustomer(
        self, request: pb.UpdateCustomerRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateCustomerResponse:
        status = None
        if request.HasField("status"):
            status = convert.status_name(request.status, allow_unspecified=False)
        changes = tenants.changes(
            self._phones,
            business_name=request.business_name if request.HasField("business_name") else None,
            agent_name=request.agent_name if request.HasField("agent_name") else None,
            greeting_template=(
                request.greeting_template if request.HasField("greeting_template") else None
            ),
            voice=request.voice if request.HasField("voice") else None,
            twilio_number=request.twilio_number if request.HasField("twilio_number") else None,
            time_zone=request.time_zone if request.HasField("time_zone") else None,
            status=status,
            rate_limit_per_second=(
                request.rate_limit_per_second if request.HasField("rate_limit_per_second") else None
            ),
            clear_rate_limit=request.clear_rate_limit,
        )
        customer = await self._admin.update(check_customer_id(request.customer_id), changes)
        return pb.UpdateCustomerResponse(customer=convert.customer(customer))

    async def LookupCustomerByNumber(
        self, request: pb.LookupCustomerByNumberRequest, context: grpc.aio.ServicerContext
    ) -> pb.LookupCustomerByNumberResponse:
        customer = await self._admin.lookup(self._phones(request.phone_number, "phone_number"))
        return pb.LookupCustomerByNumberResponse(customer=convert.customer(customer))

    # ------------------------------------------------------------------ tenant

    async def GetMyCustomer(
        self, request: pb.GetMyCustomerRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetMyCustomerResponse:
        customer = await self._profiles.my_customer(current_tenant().customer_id)
        return pb.GetMyCustomerResponse(customer=convert.customer(customer))

    async def GetSettings(
        self, request: pb.GetSettingsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetSettingsResponse:
        names = [tenants.check_setting_name(name) for name in request.names]
        values = await self._profiles.settings(current_tenant().customer_id, names)
        return pb.GetSettingsResponse(settings=convert.settings(values))

    async def UpdateSettings(
        self, request: pb.UpdateSettingsRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateSettingsResponse:
        update = tenants.settings_update(
            convert.settings_values(request.settings), list(request.clear)
        )
        values = await self._profiles.update_settings(current_tenant().customer_id, update)
        return pb.UpdateSettingsResponse(settings=convert.settings(values))
