"""A private Dovecot for the IMAP receiver's integration tests.

``Dovecot.start()`` writes a throwaway configuration into a temporary directory (Maildir
storage, no TLS, plaintext login on loopback, any user name with the password
``PASSWORD``) and runs ``dovecot -F`` on a free loopback port; ``stop()`` ends that process
and removes the directory. Every test uses a fresh user name, so every test gets an empty
mailbox without restarting the server.

Dovecot comes from Debian's ``dovecot-imapd`` (CI installs it when ``/usr/sbin/dovecot`` is
missing). Without it the tests fail with a clear message; they never skip.

``CuttingProxy`` sits between the receiver and Dovecot and drops both connections the moment a
given byte string passes through it, the way a server or a network drops a connection
mid-fetch.
"""

from __future__ import annotations

import grp
import os
import pwd
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

DOVECOT = os.environ.get("ZABOTA_TEST_DOVECOT", "/usr/sbin/dovecot")
PASSWORD = "s3cret-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _version() -> tuple[int, int]:
    out = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = out.split()[0].split(".")[:2]
    return int(major), int(minor)


class Dovecot:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="zabota-dovecot-"))
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.proc: subprocess.Popen[bytes] | None = None

    def _config(self) -> str:
        if os.getuid() == 0:
            # Mail processes may not run as root: they run as Dovecot's own unprivileged user.
            mail_user = "dovecot"
            login_user = "dovenull"
        else:
            mail_user = login_user = pwd.getpwuid(os.getuid()).pw_name
        entry = pwd.getpwnam(mail_user)
        group = grp.getgrgid(entry.pw_gid).gr_name
        d = self.dir
        (d / "home").mkdir(mode=0o755)
        if os.getuid() == 0:
            os.chown(d / "home", entry.pw_uid, entry.pw_gid)
        os.chmod(d, 0o755)
        if _version() >= (2, 4):
            return f"""
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {mail_user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 1
passdb static {{
  password = {PASSWORD}
}}
userdb static {{
  fields {{
    uid = {entry.pw_uid}
    gid = {entry.pw_gid}
    home = {d}/home/%{{user}}
  }}
}}
mail_driver = maildir
mail_path = ~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""
        return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {mail_user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 1
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={entry.pw_uid} gid={entry.pw_gid} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""

    def start(self) -> Dovecot:
        if not os.path.exists(DOVECOT):
            raise RuntimeError(
                f"Dovecot is not installed ({DOVECOT} is missing): the IMAP integration tests need "
                "it. Install it with `apt-get install dovecot-imapd` (CI's .ci/run does)."
            )
        conf = self.dir / "dovecot.conf"
        conf.write_text(self._config())
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
                raise RuntimeError(f"Dovecot exited at start:\n{out}\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Dovecot did not answer on port {self.port} within 10 s:\n{self.log()}")

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class CuttingProxy:
    """Forwards one loopback port to Dovecot; drops every connection once ``cut_on`` (bytes)
    is seen in either direction, before forwarding the chunk that carries it. Disarm it by
    setting ``cut_on`` to None."""

    def __init__(self, target_port: int, cut_on: bytes | None) -> None:
        self.target_port = target_port
        self.cut_on = cut_on
        self.cuts = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = int(self.listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peers = {client: server, server: client}
        tails = {client: b"", server: b""}
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select(list(peers), [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    marker = self.cut_on
                    if marker is not None and marker in tails[sock] + data:
                        self.cuts += 1
                        return
                    tails[sock] = data[-len(marker) :] if marker else b""
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in peers:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        self._thread.join(timeout=2)
