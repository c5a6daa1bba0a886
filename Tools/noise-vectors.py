#!/usr/bin/env python3
"""Writes SignalMesh's own Noise_IK_25519_AESGCM_SHA256 test vectors to Specs/vectors/transport/noise-ik.json.

The handshakes run on `noiseprotocol` (an independent Noise implementation on top of `cryptography`), never on
SignalMesh's Swift code, and use SignalMesh's identity scheme: a node's static X25519 key is derived from its Ed25519
seed the way libsodium's crypto_sign_ed25519_sk_to_curve25519 does it (the first 32 bytes of SHA-512(seed), clamped),
and the prologue is TransportPrologue.bytes(network:). Every input is fixed below, so the output is the same bytes on
every run. Run it through Tools/noise-vectors.sh, which installs the pinned packages into a venv first.

Usage: noise-vectors.py OUTPUT.json
"""

import hashlib
import importlib.metadata
import json
import sys
import warnings

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from noise.connection import Keypair, NoiseConnection

PROTOCOL_NAME = b"Noise_IK_25519_AESGCM_SHA256"

# Ed25519's field prime; used only to cross-check the X25519 public key through the birational map.
FIELD_PRIME = 2**255 - 19


def prologue(network: str) -> bytes:
    """TransportPrologue.bytes(network:): the label, a zero byte, the version (1), a zero byte, the network id."""
    return b"SignalMesh transport" + bytes([0, 1, 0]) + network.encode("utf-8")


def fixed_bytes(label: str, count: int = 32) -> bytes:
    """Fixed, reproducible key material: SHA-512 of a label that says what the bytes are for."""
    digest = hashlib.sha512(("SignalMesh noise-ik vectors: " + label).encode("utf-8")).digest()
    assert count <= len(digest)
    return digest[:count]


def x25519_public(private: bytes) -> bytes:
    return x25519.X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def ed25519_to_x25519_private(seed: bytes) -> bytes:
    """libsodium's crypto_sign_ed25519_sk_to_curve25519: SHA-512(seed)[0:32], clamped as RFC 7748 says."""
    scalar = bytearray(hashlib.sha512(seed).digest()[:32])
    scalar[0] &= 248
    scalar[31] &= 127
    scalar[31] |= 64
    return bytes(scalar)


def ed25519_to_x25519_public(public: bytes) -> bytes:
    """libsodium's crypto_sign_ed25519_pk_to_curve25519: u = (1 + y) / (1 - y) mod p (RFC 7748, section 4.1)."""
    y = int.from_bytes(public, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow(1 - y, FIELD_PRIME - 2, FIELD_PRIME) % FIELD_PRIME
    return u.to_bytes(32, "little")


class Identity:
    """A node's identity as SignalMesh derives it, plus the ephemeral key it uses in one handshake."""

    def __init__(self, name: str):
        self.seed = fixed_bytes(name + " Ed25519 seed")
        self.ed25519_public = ed25519.Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        self.x25519_private = ed25519_to_x25519_private(self.seed)
        self.x25519_public = x25519_public(self.x25519_private)
        # Both derivations must name the same key, or the identity scheme is broken (or this script is).
        assert ed25519_to_x25519_public(self.ed25519_public) == self.x25519_public, name
        self.ephemeral_private = fixed_bytes(name + " ephemeral")
        self.ephemeral_public = x25519_public(self.ephemeral_private)

    def record(self) -> dict:
        return {
            "ed25519_seed": self.seed.hex(),
            "ed25519_public": self.ed25519_public.hex(),
            "x25519_private": self.x25519_private.hex(),
            "x25519_public": self.x25519_public.hex(),
            "ephemeral_private": self.ephemeral_private.hex(),
            "ephemeral_public": self.ephemeral_public.hex(),
        }


def connection(identity: Identity, prologue_bytes: bytes, remote_static: bytes | None) -> NoiseConnection:
    peer = NoiseConnection.from_name(PROTOCOL_NAME)
    if remote_static is None:
        peer.set_as_responder()
    else:
        peer.set_as_initiator()
        peer.set_keypair_from_public_bytes(Keypair.REMOTE_STATIC, remote_static)
    peer.set_prologue(prologue_bytes)
    peer.set_keypair_from_private_bytes(Keypair.STATIC, identity.x25519_private)
    peer.set_keypair_from_private_bytes(Keypair.EPHEMERAL, identity.ephemeral_private)
    with warnings.catch_warnings():
        # noiseprotocol warns that a preset ephemeral key is for testing only, which is what this is.
        warnings.simplefilter("ignore")
        peer.start_handshake()
    return peer


def vector(
    description: str,
    name: str,
    network: str,
    initiation_payload: bytes,
    response_payload: bytes,
    transport: list[tuple[str, bytes]],
    responder_network: str | None = None,
) -> dict:
    """Runs one handshake and its transport messages; with `responder_network`, the responder binds another network
    into its prologue and the initiation must fail to authenticate."""
    initiator_identity = Identity(name + " initiator")
    responder_identity = Identity(name + " responder")
    initiator_prologue = prologue(network)
    responder_prologue = prologue(responder_network or network)
    initiator = connection(initiator_identity, initiator_prologue, responder_identity.x25519_public)
    responder = connection(responder_identity, responder_prologue, None)

    record = {
        "description": description,
        "expect": "decrypt_failure" if responder_network else "success",
        "network": network,
        "prologue": initiator_prologue.hex(),
    }
    if responder_network:
        record["responder_network"] = responder_network
        record["responder_prologue"] = responder_prologue.hex()
    record["initiator"] = initiator_identity.record()
    record["responder"] = responder_identity.record()

    initiation = bytes(initiator.write_message(initiation_payload))
    handshake = [{"payload": initiation_payload.hex(), "ciphertext": initiation.hex()}]
    if responder_network:
        try:
            responder.read_message(initiation)
        except InvalidTag:
            record["handshake"] = handshake
            return record
        raise AssertionError(description + ": the initiation authenticated under another network's prologue")

    assert bytes(responder.read_message(initiation)) == initiation_payload
    response = bytes(responder.write_message(response_payload))
    assert bytes(initiator.read_message(response)) == response_payload
    handshake.append({"payload": response_payload.hex(), "ciphertext": response.hex()})
    assert initiator.handshake_finished and responder.handshake_finished
    handshake_hash = bytes(initiator.get_handshake_hash())
    assert handshake_hash == bytes(responder.get_handshake_hash())
    record["handshake"] = handshake
    record["handshake_hash"] = handshake_hash.hex()

    messages = []
    for sender, payload in transport:
        source, sink = (initiator, responder) if sender == "initiator" else (responder, initiator)
        ciphertext = bytes(source.encrypt(payload))
        assert bytes(sink.decrypt(ciphertext)) == payload
        messages.append({"sender": sender, "payload": payload.hex(), "ciphertext": ciphertext.hex()})
    record["transport"] = messages
    return record


def tai64n(unix_seconds: int, nanoseconds: int) -> bytes:
    """A 12-byte TAI64N timestamp, the payload of an initiation: 2^62 + Unix seconds, then nanoseconds, both big-endian
    (SignalMesh ignores the TAI-UTC offset)."""
    return (2**62 + unix_seconds).to_bytes(8, "big") + nanoseconds.to_bytes(4, "big")


def alternating(*payloads: bytes) -> list[tuple[str, bytes]]:
    """Transport messages sent in turn, the initiator first."""
    return [("initiator" if index % 2 == 0 else "responder", payload) for index, payload in enumerate(payloads)]


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: noise-vectors.py OUTPUT.json")
    timestamp = tai64n(1767225600, 123456789)  # 2026-01-01T00:00:00.123456789Z
    large = bytes((index * 7 + 3) % 256 for index in range(1000))
    vectors = [
        vector(
            "network main, empty handshake payloads, short transport messages",
            "vector 1",
            "main",
            b"",
            b"",
            alternating(b"ping from the initiator", b"pong from the responder", b"second ping", b"second pong"),
        ),
        vector(
            "network devnet, empty handshake payloads, empty transport payloads (tag only)",
            "vector 2",
            "devnet",
            b"",
            b"",
            alternating(b"", b"", b"", b""),
        ),
        vector(
            "network main, a 12-byte TAI64N timestamp in the initiation, empty response payload",
            "vector 3",
            "main",
            timestamp,
            b"",
            alternating(b"a", b"bc", b"def", b"ghij", b"klmno"),
        ),
        vector(
            "network devnet, timestamp and response payloads, a 1000-byte transport message each way",
            "vector 4",
            "devnet",
            timestamp,
            b"response payload",
            alternating(large, large[::-1], b"after the large messages", b"end"),
        ),
        vector(
            "negative: the initiator binds network main, the responder devnet; the initiation does not authenticate",
            "vector 5",
            "main",
            timestamp,
            b"",
            [],
            responder_network="devnet",
        ),
    ]
    document = {
        "protocol_name": PROTOCOL_NAME.decode("ascii"),
        "generated_by": "Tools/noise-vectors.sh (Tools/noise-vectors.py, noiseprotocol {}, cryptography {})".format(
            importlib.metadata.version("noiseprotocol"), importlib.metadata.version("cryptography")
        ),
        "vectors": vectors,
    }
    with open(sys.argv[1], "w", encoding="utf-8", newline="\n") as output:
        json.dump(document, output, indent=2)
        output.write("\n")


if __name__ == "__main__":
    main()
