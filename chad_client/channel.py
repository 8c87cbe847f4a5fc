"""The client's one gRPC channel: to one server, to several replicas, or to a name.

    AliceClient("alice.internal:50051", ...)                  # one address
    AliceClient(["10.0.0.5:50051", "10.0.0.6:50051"], ...)    # several replicas
    AliceClient("10.0.0.5:50051,10.0.0.6:50051", ...)         # the same, in one string
    AliceClient("dns:///alice.internal:50051", ...)           # every address of a name

Whatever the target, the channel balances calls over every address it resolves
to with gRPC's `round_robin` policy (a service config), so each replica gets
its share of the calls and a dead one is skipped: when a replica's connection
breaks, its subchannel leaves the rotation at once and the client's retry of
UNAVAILABLE (chad_client.transport, for the calls safe to repeat) lands on
another replica. The dead replica is reconnected in the background (backoff
from 200 ms to 5 s) and rejoins the rotation when it answers again.

Several addresses become gRPC's static multi-address target (`ipv4:a:p,b:p` or
`ipv6:[a]:p,[b]:p`). A host name in such a list is resolved once, here; give a
`dns:///name:port` target instead for a name whose addresses change (gRPC
re-resolves it when a connection breaks).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Sequence

# Balance over every resolved address; the service config of a DNS TXT record
# (gRPC's service-config-in-DNS) never replaces it.
SERVICE_CONFIG = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})
Target = str | Sequence[str]


def channel_target(target: Target) -> str:
    """The gRPC target of `target`: a `scheme:` target or one host:port as given;
    several addresses (a list, or comma-separated) as one `ipv4:`/`ipv6:` target."""
    if isinstance(target, str):
        if _has_scheme(target):
            return target
        addresses = [part.strip() for part in target.split(",")]
    else:
        addresses = [str(part).strip() for part in target]
    if not addresses or not all(addresses):
        raise ValueError(f"no address in target {target!r}")
    if len(addresses) == 1:
        return addresses[0]
    if any(_has_scheme(address) for address in addresses):
        raise ValueError("several addresses are host:port each, without a scheme")
    resolved = [_resolve(address) for address in addresses]
    families = {family for family, _ in resolved}
    if len(families) > 1:
        raise ValueError("several addresses must be all IPv4 or all IPv6 (one channel target)")
    family = families.pop()
    return f"{family}:" + ",".join(address for _, address in resolved)


def channel_options(max_message_bytes: int) -> list[tuple[str, str | int]]:
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.service_config", SERVICE_CONFIG),
        ("grpc.service_config_disable_resolution", 1),
        # Retries are ours (chad_client.transport, only where safe): no retryPolicy
        # in the service config, so gRPC retries only transparently, a call that
        # never reached a server (a connection that broke as it was sent).
        ("grpc.enable_retries", 1),
        # Keepalive finds connections to a host that vanished without closing them.
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 5_000),
    ]


def _has_scheme(target: str) -> bool:
    """`dns:///x`, `ipv4:a:p`, `unix:/path`: a gRPC target with a resolver scheme.
    "host:port" and "[v6]:port" are not (the part before ':' is a host)."""
    scheme, colon, rest = target.partition(":")
    if not colon or target.startswith("["):
        return False
    if rest.startswith("/"):
        return True  # dns:///name, unix:///path, unix:/path
    return scheme in {"ipv4", "ipv6", "unix", "unix-abstract", "vsock", "dns"}


def _resolve(address: str) -> tuple[str, str]:
    """("ipv4", "10.0.0.5:50051") or ("ipv6", "[::1]:50051"); a name resolved once."""
    host, colon, port = address.rpartition(":")
    if not colon or not port.isdigit() or not host:
        raise ValueError(f"{address!r} is not host:port")
    host = host.strip("[]")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
        except OSError as exc:
            raise ValueError(f"cannot resolve {host!r}: {exc}") from None
        # IPv4 first: one family per target, and IPv4 is what most names have.
        infos.sort(key=lambda info: info[0] != socket.AF_INET)
        ip = ipaddress.ip_address(str(infos[0][4][0]))
    if ip.version == 4:
        return "ipv4", f"{ip}:{port}"
    return "ipv6", f"[{ip}]:{port}"
