"""A throwaway certificate authority for the services on one machine (and in tests).

``make run`` creates it under ``var/pki`` on first start and reuses it after:
``ca.crt``/``ca.key`` and, per service, ``<service>/{tls.crt,tls.key,ca.crt}`` — the
layout of a Kubernetes TLS Secret, which is what ``HELPDESK_TLS_DIR`` points at. A
service's certificate has its name as common name (the identity the other services
check) and as DNS name (what clients verify, see ``helpdesk_kit.rpc.channel``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CertificateAuthority"]

_VALID = dt.timedelta(days=3650)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o600)


class CertificateAuthority:
    """The CA in ``folder``: created on first use, loaded afterwards."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = self.folder / "ca.crt", self.folder / "ca.key"
        if cert_path.exists() and key_path.exists():
            self._cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            assert isinstance(loaded, ec.EllipticCurvePrivateKey)
            self._key = loaded
            return
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "helpdesk local CA")])
        now = dt.datetime.now(dt.UTC)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + _VALID)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )
        cert_path.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        _write_private(key_path, _pem_key(self._key))

    @property
    def cert_pem(self) -> bytes:
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, service: str, *, folder: Path | None = None) -> Path:
        """The folder holding ``service``'s certificate (issued once; kept afterwards)."""
        out = Path(folder) if folder is not None else self.folder / service
        out.mkdir(parents=True, exist_ok=True)
        if (out / "tls.crt").exists() and (out / "tls.key").exists() and (out / "ca.crt").exists():
            return out
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, service)]))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + _VALID)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(service)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        (out / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_private(out / "tls.key", _pem_key(key))
        (out / "ca.crt").write_bytes(self.cert_pem)
        return out
