"""The addresses phones open, and their QR codes (terminal and projector).

The LAN address is found without sending anything: `connect` on a UDP socket only asks the kernel which
local address would route to a private address; no packet leaves the machine.
"""

from __future__ import annotations

import io
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

# One address in each private range (RFC 1918): whichever the machine has a route to names its LAN address.
PROBES = ("10.255.255.255", "192.168.255.255", "172.31.255.255")


def lan_ip(make_socket: Callable[[], socket.socket] | None = None) -> str | None:
    """This machine's address on the local network, or None when it has none (then phones cannot reach it)."""
    make = make_socket or (lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    for probe in PROBES:
        with make() as s:
            try:
                s.connect((probe, 9))  # UDP connect: a routing look-up, nothing is sent
                ip = s.getsockname()[0]
            except OSError:
                continue
        address = ipaddress.ip_address(ip)
        if not (address.is_loopback or address.is_unspecified or address.is_link_local):
            return ip
    return None


@dataclass(frozen=True)
class Links:
    """The participant link (for the QR code) and the facilitator's projector link."""

    host: str
    port: int
    token: str
    facilitator_token: str

    @property
    def participant(self) -> str:
        return f"{self.base}/?token={quote(self.token)}"

    @property
    def room(self) -> str:
        return f"{self.base}/room?token={quote(self.facilitator_token)}"

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def public_host(ip: str) -> tuple[str, str | None]:
    """(host to print in links, a warning for the facilitator or None) for the address the server listens on."""
    if ip in ("0.0.0.0", ""):
        found = lan_ip()
        if found:
            return found, None
        return "127.0.0.1", ("this computer has no network address: phones cannot reach the room. "
                             "Connect it to the room's Wi-Fi, then start `jmapkit serve` again.")
    if ipaddress.ip_address(ip).is_loopback:
        return ip, f"listening on {ip} only: phones cannot reach it. Use --ip 0.0.0.0 for the room's network."
    return ip, None


def qr_terminal(url: str) -> str:
    """The QR code of `url` drawn with block characters, for the terminal."""
    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def qr_svg(url: str) -> bytes:
    """The QR code of `url` as a standalone SVG (dark on white, for the projector)."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, dark="#000", light="#fff",
                                    xmldecl=False, svgns=True)
    return out.getvalue()
