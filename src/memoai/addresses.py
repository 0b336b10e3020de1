"""Lists of network addresses in settings: single IPs and CIDR networks, or '*' for all.

Used for the proxies whose forwarding headers are believed (FORWARDED_ALLOW_IPS) and for the
callers that see metrics and readiness details (METRICS_ALLOWED_IPS). No dependencies, so the
settings can validate a list when the process starts.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AddressList:
    """Addresses and networks; `everyone` for '*', nothing at all for an empty list."""

    networks: tuple[Network, ...] = ()
    everyone: bool = False

    def __contains__(self, host: object) -> bool:
        if self.everyone:
            return True
        if not isinstance(host, str) or not host:
            return False
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


@lru_cache(maxsize=32)
def parse_addresses(value: str) -> AddressList:
    """'10.0.0.5, 172.30.64.128/25, ::1' or '*'; raises ValueError naming a bad entry."""
    entries = [item.strip() for item in value.split(",") if item.strip()]
    if "*" in entries:
        return AddressList(everyone=True)
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"'{entry}' is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return AddressList(tuple(networks))
