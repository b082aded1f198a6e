"""Where the server may send a request a lead typed the address of (webhooks, Langfuse, LangSmith).

The server sends from inside the network: a loopback, private, link-local, reserved, multicast or
unspecified address would let a page reach internal services (server-side request forgery). A
deployment that means to reach a receiver on its own network allows it with a setting
(ALERT_WEBHOOK_PRIVATE, SOURCE_SYNC_PRIVATE), passed in here as `allow_private`.
"""
from __future__ import annotations

import ipaddress
import socket
import urllib.parse


def refused_address(url: str, *, allow_private: bool, what: str, setting: str) -> str | None:
    """Why the server will not send to this URL, or None. `what` names the URL in the reason
    ("a webhook URL"), `setting` the switch that allows private addresses."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{what} must be http(s)://host/…"
    if allow_private:
        return None
    try:
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return f"the host {parts.hostname} cannot be resolved"
    for address in sorted(found):
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
            return (f"{parts.hostname} resolves to {ip}, a private or local address: Spotcheck sends only to public "
                    f"addresses unless {setting}=True")
    return None
