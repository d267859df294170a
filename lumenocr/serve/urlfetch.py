"""Fetching an image or PDF named by URL, without letting clients reach the server's network.

A URL given to an OCR service is a classic server-side request forgery door: without care a
client can make the server read ``http://169.254.169.254/`` (cloud credentials) or an admin
page on localhost. The guard here:

* only ``http`` and ``https``; no credentials in the URL;
* the host name is resolved once and EVERY address it resolves to must be public
  (``ipaddress``'s ``is_global``, never loopback, private, link-local, shared, multicast or
  reserved, IPv4-mapped IPv6 included) unless it lies in a network the operator allowed;
* the connection then goes to the address that was checked (the URL's host travels as the
  ``Host`` header and, for https, as the TLS server name, so certificates are still verified
  against the name): a DNS answer that changes between check and connect cannot redirect it;
* redirects are not followed blindly: each hop is checked the same way, up to a limit;
* the body is streamed with a byte cap and the whole fetch has a deadline.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.parse
from dataclasses import dataclass

import httpx

from lumenocr import __version__
from lumenocr.serve.errors import APIError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class URLPolicy:
    """What the fetcher may do."""

    enabled: bool = False
    allow_networks: tuple[str, ...] = ()
    max_bytes: int = 20 * 1024 * 1024
    timeout: float = 10.0
    max_redirects: int = 3


def _refused(url: str, why: str) -> APIError:
    return APIError(400, "url_refused", f"{url}: {why}")


def is_public(ip: IPAddress) -> bool:
    """True for an address on the public internet."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def check_address(url: str, ip: IPAddress, policy: URLPolicy) -> None:
    if is_public(ip):
        return
    for net in policy.allow_networks:
        if ip in ipaddress.ip_network(net, strict=False):
            return
    raise _refused(url, f"resolves to {ip}, a non-public address (loopback, private, link-local or reserved)")


def resolve(url: str, host: str, port: int) -> list[IPAddress]:
    """All addresses ``host`` resolves to (a literal IP resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise APIError(400, "url_unresolvable", f"{url}: cannot resolve host {host!r} ({e})") from None
    out: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if ip not in out:
            out.append(ip)
    if not out:
        raise APIError(400, "url_unresolvable", f"{url}: host {host!r} has no address")
    return out


@dataclass(frozen=True)
class _Target:
    url: str  # the URL with its host replaced by the checked address
    host_header: str
    sni: str | None


def plan(url: str, policy: URLPolicy) -> _Target:
    """Check ``url`` and decide which checked address to connect to."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise _refused(url, f"malformed URL ({e})") from None
    if parts.scheme not in ("http", "https"):
        raise _refused(
            url, f"only http:// and https:// URLs are fetched, not {parts.scheme or 'a relative'!r} ones"
        )
    if not parts.hostname:
        raise _refused(url, "no host in URL")
    if parts.username or parts.password:
        raise _refused(url, "credentials in URLs are not accepted")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(url, host, port)
    for ip in addresses:  # every answer must pass: a mixed answer is a rebinding attempt
        check_address(url, ip, policy)
    ip = addresses[0]
    ip_text = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{ip_text}:{port}"
    pinned = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    default_port = port == (443 if parts.scheme == "https" else 80)
    host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
    return _Target(pinned, host_header, host if parts.scheme == "https" else None)


def fetch(url: str, policy: URLPolicy) -> bytes:
    """Download ``url`` under ``policy`` (blocking; run it off the event loop)."""
    if not policy.enabled:
        raise APIError(
            400, "url_disabled", "fetching URLs is disabled on this server (start it with --allow-urls)"
        )
    deadline = time.monotonic() + policy.timeout
    current = url
    with httpx.Client(follow_redirects=False, timeout=policy.timeout, trust_env=False) as client:
        for _hop in range(policy.max_redirects + 1):
            target = plan(current, policy)
            extensions = {"sni_hostname": target.sni} if target.sni else {}
            request = client.build_request(
                "GET",
                target.url,
                headers={"Host": target.host_header, "User-Agent": f"lumenocr/{__version__}"},
                extensions=extensions,
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise APIError(
                    400, "url_timeout", f"{url}: download timed out after {policy.timeout:g} s"
                ) from None
            except httpx.HTTPError as e:
                raise APIError(
                    400, "url_failed", f"{url}: download failed ({type(e).__name__}: {e})"
                ) from None
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    current = urllib.parse.urljoin(current, location)
                    continue
                if response.status_code != 200:
                    raise APIError(
                        400, "url_failed", f"{url}: the server answered HTTP {response.status_code}"
                    )
                return _read_capped(url, response, policy, deadline)
            finally:
                response.close()
    raise _refused(url, f"more than {policy.max_redirects} redirects")


def _read_capped(url: str, response: httpx.Response, policy: URLPolicy, deadline: float) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise APIError(
            413, "too_large", f"{url}: {int(declared):,} bytes, over the limit of {policy.max_bytes:,}"
        )
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > policy.max_bytes:
                raise APIError(
                    413, "too_large", f"{url}: download exceeds the limit of {policy.max_bytes:,} bytes"
                )
            if time.monotonic() > deadline:
                raise APIError(400, "url_timeout", f"{url}: download took longer than {policy.timeout:g} s")
            chunks.append(chunk)
    except httpx.HTTPError as e:
        raise APIError(400, "url_failed", f"{url}: download failed ({type(e).__name__}: {e})") from None
    return b"".join(chunks)
