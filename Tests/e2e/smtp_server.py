"""A real SMTP server for the email tests (aiosmtpd), on loopback, until stdin closes.

Usage: smtp_server.py DIR

Makes a private CA and a certificate for localhost / 127.0.0.1 in DIR (ca.pem), then serves:
  starttls  - STARTTLS required before anything else, AUTH PLAIN/LOGIN required (after TLS)
  tls       - implicit TLS from the first byte, AUTH required
  plain     - no TLS at all, no AUTH (a local relay; also "a server that does not offer STARTTLS")
and prints one JSON line with the three ports. The only account is relance / "s3cret pass".

Recipients: refuse@… gets 550 at RCPT (a bad address), later@… 451 and full@… 552 (try again),
relay@… "550 5.7.1" (a policy refusal: about us, not them); a message to slow@… is answered 4 s late.
Each accepted message is parsed with Python's email package and written as DIR/N.json:
envelope, raw headers as received, decoded subject, the text and HTML parts.
"""

import asyncio
import datetime
import json
import os
import socket
import ssl
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import email
import email.policy
import ipaddress

USER, PASSWORD = b"relance", b"s3cret pass"


def make_certificates(directory):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Relance test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False),
            critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {name: os.path.join(directory, name) for name in ("ca.pem", "cert.pem", "key.pem")}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths["cert.pem"], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["key.pem"], "wb") as f:
        f.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(paths["cert.pem"], paths["key.pem"])
    return context


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    def __init__(self, directory, name):
        self.directory = directory
        self.name = name

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse@"):
            return "550 5.1.1 No such user here"
        if address.startswith("later@"):
            return "451 4.3.0 Mailbox busy, try again later"
        if address.startswith("full@"):
            return "552 4.2.2 Mailbox full"  # temporary at RCPT, by RFC 5321 4.5.3.1.10
        if address.startswith("relay@"):
            return "550 5.7.1 Relaying denied"  # about the sender's setup, not the recipient
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(address.startswith("slow@") for address in envelope.rcpt_tos):
            # Takes the message and answers too late: the sender cannot know it was queued.
            await asyncio.sleep(4)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        record = {
            "server": self.name,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(session.authenticated),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "raw_headers": raw.split(b"\r\n\r\n", 1)[0].decode("ascii"),
            "ascii_only": all(b < 128 for b in raw),
            "subject": str(message["subject"]),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "reply_to": str(message["reply-to"]) if message["reply-to"] else None,
            "message_id": str(message["message-id"]),
            "list_unsubscribe": str(message["list-unsubscribe"]) if message["list-unsubscribe"] else None,
            "list_unsubscribe_post": message["list-unsubscribe-post"],
            "content_type": message.get_content_type(),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
        }
        count = len([n for n in os.listdir(self.directory) if n.endswith(".json")])
        path = os.path.join(self.directory, f"{count + 1}.json")
        with open(path + ".part", "w") as f:
            json.dump(record, f)
        os.rename(path + ".part", path)
        return "250 2.0.0 OK queued as T%d" % (count + 1)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER and auth_data.password == PASSWORD
    return AuthResult(success=ok, handled=False)


def main():
    # aiosmtpd warns that AUTH without STARTTLS is unsafe; on the implicit-TLS server it is not.
    warnings.filterwarnings("ignore", module="aiosmtpd")
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    tls = make_certificates(directory)
    ports = {}
    controllers = []
    for name, options in (
        ("starttls", dict(tls_context=tls, require_starttls=True, authenticator=authenticator,
                          auth_require_tls=True, auth_required=True)),
        ("tls", dict(ssl_context=tls, authenticator=authenticator, auth_required=True,
                     auth_require_tls=False)),  # the whole connection is TLS; aiosmtpd only tracks STARTTLS
        ("plain", dict()),
    ):
        port = free_port()
        controller = Controller(
            Recorder(directory, name), hostname="127.0.0.1", port=port, decode_data=False,
            server_hostname="localhost", ready_timeout=10, **options)
        controller.start()
        controllers.append(controller)
        ports[name] = port
    print(json.dumps(ports), flush=True)
    sys.stdin.read()
    for controller in controllers:
        controller.stop()


if __name__ == "__main__":
    main()
