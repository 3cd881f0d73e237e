"""A throw-away GnuPG key pair for the local stack's backups: the public half is backup's `backup-public-keys`
secret, the private half restore-check's `restore-check-private-key` (as an operator splits them in production).

Real gpg (the binary backup and restore-check drive): an ed25519 certification key with a cv25519 encryption
subkey, no passphrase, made in a temporary home that is removed (its gpg-agent stopped) once both halves are out.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyPair:
    fingerprint: str
    public: str  # ASCII-armored
    private: str  # ASCII-armored, no passphrase


def missing() -> str:
    """Why no key can be made here ('' when it can)."""
    return "" if shutil.which("gpg") else "gpg is not installed (apt-get install gnupg)"


def generate(uid: str = "Local stack backups <backups@pw.local>") -> KeyPair:
    # A short /tmp home: gpg-agent's socket path must stay under the 108-byte Unix socket limit.
    home = tempfile.mkdtemp(prefix="pwgpg-")
    try:
        base = ["gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
        subprocess.run([*base, "--quick-gen-key", uid, "ed25519", "cert", "never"], check=True, capture_output=True,
                       timeout=60)
        listing = subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys", uid],
                                 check=True, capture_output=True, text=True, timeout=60).stdout
        fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        subprocess.run([*base, "--quick-add-key", fpr, "cv25519", "encr", "never"], check=True,
                       capture_output=True, timeout=60)
        public = subprocess.run(["gpg", "--homedir", home, "--batch", "--armor", "--export", fpr],
                                check=True, capture_output=True, text=True, timeout=60).stdout
        private = subprocess.run([*base, "--armor", "--export-secret-keys", fpr],
                                 check=True, capture_output=True, text=True, timeout=60).stdout
    finally:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)
    return KeyPair(fpr, public, private)
