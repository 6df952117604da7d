"""The Kubernetes API double's wire details: protobuf bodies client-go sends, its TLS certificate.

client-go sends core objects (Helm's release Secrets) in Kubernetes' protobuf envelope; the
double reads the few fields those kinds have. The certificate is the double's own CA, as an EKS
cluster has its own.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
from typing import Any


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


def _fields(data: bytes) -> list[tuple[int, Any]]:
    """A protobuf message's (field number, value) pairs: varints as ints, the rest as bytes."""
    found, at = [], 0

    def varint() -> int:
        nonlocal at
        value, shift = 0, 0
        while True:
            byte = data[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while at < len(data):
        tag = varint()
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            found.append((number, varint()))
        elif wire == 2:
            length = varint()
            found.append((number, data[at:at + length]))
            at += length
        elif wire == 1:
            found.append((number, data[at:at + 8]))
            at += 8
        elif wire == 5:
            found.append((number, data[at:at + 4]))
            at += 4
        else:
            raise ApiError(400, "BadRequest", f"unreadable protobuf (wire type {wire})")
    return found


def _string_map(entries: list[bytes]) -> dict[str, bytes]:
    pairs = (dict(_fields(entry)) for entry in entries)
    return {pair.get(1, b"").decode(): pair.get(2, b"") for pair in pairs}


def decode_protobuf(raw: bytes) -> dict[str, Any]:
    """A Secret or ConfigMap in Kubernetes' protobuf envelope (``k8s\\0`` + runtime.Unknown), as
    client-go sends them for core types: the fields those kinds have, as JSON would carry them."""
    if not raw.startswith(b"k8s\x00"):
        raise ApiError(400, "BadRequest", "protobuf body without the k8s envelope")
    unknown = dict(_fields(raw[4:]))
    type_meta = dict(_fields(unknown.get(1, b"")))
    kind = type_meta.get(2, b"").decode()
    if kind not in ("Secret", "ConfigMap"):
        raise ApiError(415, "UnsupportedMediaType", f"protobuf {kind} is not taken here")
    fields = _fields(unknown.get(2, b""))
    meta_fields = _fields(next((value for number, value in fields if number == 1), b""))
    meta: dict[str, Any] = {}
    for number, key in ((1, "name"), (2, "generateName"), (3, "namespace"), (6, "resourceVersion")):
        value = next((v for n, v in meta_fields if n == number), None)
        if value:
            meta[key] = value.decode()
    for number, key in ((11, "labels"), (12, "annotations")):
        entries = [v for n, v in meta_fields if n == number]
        if entries:
            meta[key] = {k: v.decode() for k, v in _string_map(entries).items()}
    obj: dict[str, Any] = {"apiVersion": type_meta.get(1, b"").decode() or "v1", "kind": kind,
                           "metadata": meta}
    data = _string_map([v for n, v in fields if n == 2])
    if kind == "Secret":
        obj["data"] = {k: base64.b64encode(v).decode() for k, v in data.items()}
        secret_type = next((v for n, v in fields if n == 3), b"")
        if secret_type:
            obj["type"] = secret_type.decode()
    else:
        obj["data"] = {k: v.decode() for k, v in data.items()}
    return obj


def certificate() -> tuple[bytes, bytes]:
    """A self-signed certificate for 127.0.0.1 (its own CA, as an EKS cluster's is)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
