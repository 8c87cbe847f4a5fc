"""Services: one use case per RPC (or admin command).

A service validates with the domain's rules, opens ONE unit of work
(`async with db.tenant(customer_id) as uow`), calls repositories and returns
domain dataclasses. No SQL, no gRPC, no protobuf here.
"""
