"""The guard on what clausewatch sends itself (webhooks, the Wayback API), checked when the
connection is made: a name whose DNS answer changes between the check and the connection
(rebinding) cannot reach a private address. DNS is simulated by replacing the resolver; the
servers are real, on 127.0.0.1."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from clausewatch.events.webhooks import Deliverer
from clausewatch.net import netguard
from clausewatch.net.outbound import OutboundRefused, masked
from clausewatch.storage import layout
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.records import Entry
from clausewatch.storage.store import Store
from clausewatch.wayback import archive
from clausewatch.wayback.client import WaybackClient, WaybackSettings
from tests.fake_wayback import serve
from tests.helpers import SECRET, endpoint, version
from tests.receiver import Receiver, start

PUBLIC = ipaddress.ip_address("93.184.216.34")
LOOPBACK = ipaddress.ip_address("127.0.0.1")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(LocalBackend(tmp_path / "store"))


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> None:
    """``*.rebind.example.com`` answers a public address to the check before a request (which
    asks without a port) and 127.0.0.1 when the connection is made (which asks with one)."""
    real = netguard.resolve

    def resolve(host: str, port: int | None = None) -> list[netguard.Address]:
        if host.endswith(".rebind.example.com"):
            return [PUBLIC] if port is None else [LOOPBACK]
        return real(host, port)

    monkeypatch.setattr(netguard, "resolve", resolve)
    monkeypatch.delenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS")


@pytest.mark.usefixtures("rebinding")
def test_a_webhook_name_rebound_to_loopback_is_refused_when_connecting(store: Store) -> None:
    from clausewatch.pipeline.record import record_capture
    from tests.helpers import capture, page, target

    record_capture(store, target("doc-a"), capture(page("One.")))
    receiver = Receiver(SECRET)
    server = start(receiver)
    hook = endpoint(f"http://hooks.rebind.example.com:{server.server_port}/")
    assert Deliverer.refusal(hook) is None  # the name looked public before the request
    report = Deliverer(store).deliver(hook)  # the default client
    assert report.error and "checked when connecting" in report.error
    assert "127.0.0.1" in report.error and "CLAUSEWATCH_ALLOW_PRIVATE_URLS" in report.error
    assert receiver.attempts == 0 and report.failed == 0  # no retry budget spent on it
    assert Deliverer(store).status(hook)["delivering"] is False  # the lease was given back
    server.shutdown()


@pytest.mark.usefixtures("rebinding")
def test_a_wayback_name_rebound_to_loopback_is_refused_when_connecting(store: Store) -> None:
    server, fake = serve()
    manifest = version(store, "https://example.org/ok")
    client = WaybackClient(
        WaybackSettings(base_url=f"http://api.rebind.example.com:{server.server_port}")
    )
    with pytest.raises(OutboundRefused, match="checked when connecting"):
        archive.process_queue(store, client)
    assert fake.requests == []
    entry = Entry.model_validate_json(
        store.backend.read(layout.wayback_entry("acme-terms", manifest))
    )
    assert entry.status == "queued" and entry.claimed_at is None  # back in the queue
    server.shutdown()
    server.server_close()


def test_the_guarded_client_connects_to_the_address_it_checked(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``checked.example.com`` exists only in the guard's resolver (the system's DNS does not
    know it), and its address is taken for public: a delivery that arrives went to the
    address the guard checked, not to a second lookup of the name."""
    from clausewatch.pipeline.record import record_capture
    from tests.helpers import capture, page, target

    real = netguard.resolve
    monkeypatch.setattr(
        netguard,
        "resolve",
        lambda host, port=None: [LOOPBACK] if host == "checked.example.com" else real(host, port),
    )
    monkeypatch.setattr(netguard, "address_refusal", lambda host, addresses: None)
    monkeypatch.delenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS")
    record_capture(store, target("doc-a"), capture(page("One.")))
    receiver = Receiver(SECRET)
    server = start(receiver)
    report = Deliverer(store).deliver(endpoint(f"http://checked.example.com:{server.server_port}/"))
    assert report.ok and report.delivered == 1 and len(receiver.received) == 1
    server.shutdown()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@h.example/x?token=abc&b=2", "https://***@h.example/x?token=***&b=***"),
        ("https://token@h.example/", "https://***@h.example/"),
        ("https://h.example/path", "https://h.example/path"),
        # a scheme that does not parse: urlsplit finds no netloc, the password is still masked
        ("ht!tp://SECRETPW@x", "ht!tp://***@x"),
        ("ht!tp://user:SECRETPW@x/p?k=v", "ht!tp://***@x/p?***"),
        ("user:SECRETPW@x", "***@x"),
    ],
)
def test_urls_are_printed_without_credentials(url: str, shown: str) -> None:
    assert masked(url) == shown


def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A certificate for ``name`` (and only that name) and its key, as PEM files."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.mark.parametrize(
    ("served", "delivered"), [("checked.example.com", 1), ("other.example", 0)]
)
def test_tls_to_the_checked_address_verifies_the_certificate_against_the_name(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    served: str,
    delivered: int,
) -> None:
    """Connecting to the checked address, not the name, keeps TLS honest: the certificate is
    still verified against the host name of the URL (SNI and hostname check)."""
    import ssl
    import threading

    from clausewatch.pipeline.record import record_capture
    from tests.helpers import capture, page, target
    from tests.receiver import _Handler, _Server

    real = netguard.resolve
    monkeypatch.setattr(
        netguard,
        "resolve",
        lambda host, port=None: [LOOPBACK] if host == "checked.example.com" else real(host, port),
    )
    monkeypatch.setattr(netguard, "address_refusal", lambda host, addresses: None)
    monkeypatch.delenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS")
    cert_file, key_file = _self_signed(tmp_path, served)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # trust that certificate only
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = receiver = Receiver(SECRET)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    record_capture(store, target("doc-a"), capture(page("One.")))
    report = Deliverer(store).deliver(
        endpoint(f"https://checked.example.com:{server.server_port}/")
    )
    assert report.delivered == delivered and len(receiver.received) == delivered
    if not delivered:
        assert "CERTIFICATE_VERIFY_FAILED" in report.errors[0]
    server.shutdown()
    server.server_close()
