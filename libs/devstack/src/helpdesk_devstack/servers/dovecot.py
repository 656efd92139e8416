"""A throwaway IMAP server (Debian's ``dovecot-imapd``) for mail intake's tests and benchmark.

One dovecot with its own configuration in a temporary directory: IMAP with STARTTLS on
one free port of 127.0.0.1, implicit TLS (IMAPS) on another, a passwd-file of users and
maildirs under the same directory, a throwaway certificate for ``localhost`` from this
package's CA. Mail is put in with ``append`` (IMAP APPEND as the user). As root, mail is
stored as the ``dovecot`` system user (dovecot refuses to store mail as root); otherwise
everything runs as the caller.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import imapclient

from helpdesk_devstack.pki import CertificateAuthority
from helpdesk_devstack.servers.process import free_port

DOVECOT = "/usr/sbin/dovecot"
HOST = "localhost"


class DovecotError(RuntimeError):
    pass


def available() -> bool:
    return Path(DOVECOT).exists() and Path("/usr/lib/dovecot/imap").exists()


def _accounts() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid) for this process."""
    if os.geteuid() == 0:
        mail = pwd.getpwnam("dovecot")
        return "dovecot", "dovenull", mail.pw_uid, mail.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


class Dovecot:
    """``start()`` / ``stop()``; ``add_user(login, password)``; ``append(login, raw)``;
    ``ssl_context()`` trusts its certificate."""

    def __init__(self) -> None:
        # Under /tmp and world-traversable: the mail processes' account must reach the maildirs.
        self.dir = Path(tempfile.mkdtemp(prefix="mailin-dovecot-", dir="/tmp"))
        self.port = free_port()
        self.tls_port = free_port()
        self._users: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._internal, self._login_user, self._uid, self._gid = _accounts()
        self._ca = CertificateAuthority(self.dir / "pki")

    @property
    def config(self) -> Path:
        return self.dir / "dovecot.conf"

    def _write_config(self) -> None:
        tls = self._ca.issue(HOST)
        for name in ("home", "run", "state"):
            (self.dir / name).mkdir(exist_ok=True)
        self.dir.chmod(0o755)
        (self.dir / "home").chmod(0o777)
        self.config.write_text(
            f"""
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = {self._internal}
default_login_user = {self._login_user}
first_valid_uid = {self._uid}
last_valid_uid = {self._uid}
ssl = yes
ssl_cert = <{tls}/tls.crt
ssl_key = <{tls}/tls.key
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_cache_size = 0
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.dir}/passwd
  default_fields = uid={self._uid} gid={self._gid} home={self.dir}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
        )
        self._write_passwd()

    def _write_passwd(self) -> None:
        lines = [f"{login}:{{PLAIN}}{password}::::::\n" for login, password in self._users.items()]
        # A new file (new inode) each time: dovecot re-reads a passwd-file it sees replaced,
        # where an in-place write within the same second could go unnoticed.
        new = self.dir / "passwd.new"
        new.write_text("".join(lines))
        new.chmod(0o644)
        new.replace(self.dir / "passwd")

    def start(self) -> None:
        if not available():
            raise DovecotError(f"{DOVECOT} is not installed (Debian: apt-get install dovecot-imapd)")
        self._write_config()
        self._proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.dir / "stderr.log").open("wb"),
            process_group=0,
        )
        deadline = time.monotonic() + 30
        while True:
            if self._proc.poll() is not None:
                raise DovecotError(f"dovecot exited: {self._log_tail()}")
            try:
                imapclient.IMAPClient(HOST, port=self.port, ssl=False, timeout=2).shutdown()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise DovecotError(f"dovecot did not start in 30 s: {self._log_tail()}") from None
                time.sleep(0.05)

    def _log_tail(self) -> str:
        parts = []
        for name in ("dovecot.log", "stderr.log"):
            path = self.dir / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-2000:])
        return "\n".join(parts)

    def add_user(self, login: str, password: str) -> None:
        """A mail account (passwd-file: dovecot reads it on every sign-in)."""
        self._users[login] = password
        self._write_passwd()
        # dovecot notices a replaced passwd-file at its next look: wait until it signs in.
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client(login).logout()
                return
            except (imapclient.exceptions.LoginError, OSError):
                if time.monotonic() > deadline:
                    raise DovecotError(f"dovecot does not accept the new user {login}") from None
                time.sleep(0.2)

    @property
    def ca_file(self) -> Path:
        """The PEM of the authority its certificate comes from (``HELPDESK_MAILIN_CA_FILE``
        for a mailin process that must trust it)."""
        return self._ca.folder / "ca.crt"

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts this server's certificate (issued for ``localhost``)."""
        context = ssl.create_default_context(cadata=self._ca.cert_pem.decode())
        return context

    def client(self, login: str) -> imapclient.IMAPClient:
        client = imapclient.IMAPClient(
            HOST, port=self.tls_port, ssl=True, ssl_context=self.ssl_context(), timeout=10
        )
        client.login(login, self._users[login])
        return client

    def append(self, login: str, raw: bytes, folder: str = "INBOX") -> None:
        with self.client(login) as client:
            client.append(folder, raw)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
