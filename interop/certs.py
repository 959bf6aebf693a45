"""Test certificates made with the openssl command line: a CA, a server certificate for 127.0.0.1 and
localhost, client certificates, and a second CA whose certificates the broker must refuse. Keys are
PKCS#8 PEM, as Kafka's PEM keystores want them."""
import subprocess
from pathlib import Path


def _run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class Certificates:
    def __init__(self, directory):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._ca("ca", "/CN=Strom Test CA")
        self._ca("other-ca", "/CN=Someone Else's CA")
        self.issue("server", "/CN=localhost", ca="ca", san="subjectAltName=DNS:localhost,IP:127.0.0.1")
        # A PEM keystore: the key and the chain in one file; and the same as a PKCS#12 bundle.
        (self.dir / "server-keystore.pem").write_text(self.path("server.key").read_text() + self.path("server.crt").read_text())
        _run("pkcs12", "-export", "-in", "server.crt", "-inkey", "server.key", "-out", "server.p12", "-passout", "pass:p12-secret",
             cwd=self.dir)

    def path(self, name):
        return self.dir / name

    def _ca(self, name, subject):
        _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".crt",
             "-days", "2", "-subj", subject, "-addext", "basicConstraints=critical,CA:TRUE", cwd=self.dir)

    def issue(self, name, subject, ca="ca", san=None):
        """A key (name.key, PKCS#8) and a certificate (name.crt) signed by `ca`; returns (crt, key)."""
        _run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name + ".key", cwd=self.dir)
        _run("req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", subject, cwd=self.dir)
        ext = self.dir / (name + ".ext")
        ext.write_text((san or "subjectAltName=DNS:client") + "\n")
        _run("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
             "-out", name + ".crt", "-days", "2", "-extfile", ext.name, cwd=self.dir)
        return str(self.path(name + ".crt")), str(self.path(name + ".key"))
