"""A throwaway OpenLDAP ``slapd`` for tests: cn=config built with ``slapadd -n0``, mdb, StartTLS.

The certificate is self-signed, made here with ``cryptography``; the directory has
``dc=example,dc=org`` with ``ou=people`` and ``ou=groups`` and an admin
(``cn=admin,dc=example,dc=org``) who may change it while it runs.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
BASE_DN = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "admin-secret"


def available() -> bool:
    return Path(SLAPD).exists() and Path(SLAPADD).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _self_signed(directory: Path) -> tuple[Path, Path, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path, cert_pem.decode()


def _config_ldif(root: Path, cert: Path, key: Path) -> str:
    schemas = "".join(
        f"include: file:///etc/ldap/schema/{s}.ldif\n" for s in ("core", "cosine", "inetorgperson")
    )
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {root}/slapd.pid
olcTLSCertificateFile: {cert}
olcTLSCertificateKeyFile: {key}

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {BASE_DN}
olcRootDN: {ADMIN_DN}
olcRootPW: {ADMIN_PASSWORD}
olcDbDirectory: {root}/data
olcDbMaxSize: 104857600
olcAccess: to attrs=userPassword by anonymous auth by * none
olcAccess: to * by users read by * none
"""


def _data_ldif() -> str:
    return f"""dn: {BASE_DN}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,{BASE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{BASE_DN}
objectClass: organizationalUnit
ou: groups
"""


@dataclass
class Slapd:
    url: str
    ca_pem: str
    base_dn: str = BASE_DN
    admin_dn: str = ADMIN_DN
    admin_password: str = ADMIN_PASSWORD


class SlapdProcess:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Slapd:
        conf, data = self.root / "slapd.d", self.root / "data"
        conf.mkdir(parents=True)
        data.mkdir()
        cert, key, ca_pem = _self_signed(self.root)
        (self.root / "config.ldif").write_text(_config_ldif(self.root, cert, key))
        (self.root / "data.ldif").write_text(_data_ldif())
        for args in (["-n0", "-l", "config.ldif"], ["-n1", "-l", "data.ldif"]):
            subprocess.run([SLAPADD, "-F", str(conf), *args], cwd=self.root, check=True, capture_output=True)
        port = _free_port()
        url = f"ldap://127.0.0.1:{port}/"
        self._proc = subprocess.Popen(
            [SLAPD, "-d", "0", "-h", url, "-F", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "slapd.log", "wb"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return Slapd(url=url.rstrip("/"), ca_pem=ca_pem)
            except OSError:
                if self._proc.poll() is not None:
                    break
                time.sleep(0.05)
        log = (self.root / "slapd.log").read_text(errors="replace")
        self.stop()
        raise RuntimeError(f"slapd did not start: {log[-2000:]}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if os.environ.get("KEEP_SLAPD") is None:
            shutil.rmtree(self.root / "data", ignore_errors=True)
