"""Keys and certificates by entity (EUI-64), key usage and prepayment flag.

Sources: a directory in the RTDS layout (`<eui>[-pp]-ds|ka.pem|.key`), a DCC Boxed keystore
JSON (`{eui: {digitalSignature|keyAgreement: {serial: {certificate, privateKey?, name, role}}}}`)
and certificates met in messages (`add_certificate`). The EUI is taken from the file name or
the JSON key, as the DCC tools do; a certificate naming another EUI is kept where its file
says and reported in `Keystore.warnings` (the RTDS `90b3d51f30000007-ka.pem` holds supplier
2's key pair).

Private keys are parsed and checked (EC P-256, unencrypted, matching their certificate) when
the keystore loads, so a bad key file stops the run before any message, naming the file.
Nothing here ever prints key material: reprs name the EUI, usage and source file only.
"""
from __future__ import annotations

import itertools
import json
import os
import re
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.crypto import kdf
from gbcs.crypto._facts import facts
from gbcs.crypto.eui import normalise_eui       # defined apart so that it needs no cryptography
from gbcs.errors import KeystoreError
from gbcs.spec import specs

USAGES = ("ds", "ka")
_JSON_USAGE = {"digitalSignature": "ds", "keyAgreement": "ka"}
_FILE_RE = re.compile(r"^([0-9A-F]{16})(-pp)?-(ds|ka)\.(pem|key)$", re.IGNORECASE)
_PP_NAME_RE = re.compile(r"PP-ka$|-pp-", re.IGNORECASE)   # Boxed names: "Z1-supplierPP-ka"
_ECDH_CACHE_SIZE = 65536
_LOOKUPS_KEPT = 4096            # entity look-ups a keystore remembers
_ids = itertools.count(1)


def _usage(usage: str) -> str:
    if usage in USAGES:                  # the common call: already a short usage name
        return usage
    u = usage.lower()
    u = {"digitalsignature": "ds", "keyagreement": "ka"}.get(u, u)
    if u not in USAGES:
        raise KeystoreError(f"key usage {usage!r} is not 'ds' (digital signature) or 'ka' (key agreement)")
    return u


@lru_cache(maxsize=1)
def _oids() -> dict[str, x509.ObjectIdentifier]:
    rows = {r.cells["name"]: r.cells["oid"] for r in specs().get("asn1_oid", "x509").rows}
    return {k: x509.ObjectIdentifier(rows[k]) for k in
            ("id_on_hardware_module_name", "x500_unique_identifier", "smki_hw_type")}


def _der_items(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, content) of consecutive DER TLVs (short or long definite lengths)."""
    i = 0
    while i + 2 <= len(data):
        tag, first = data[i], data[i + 1]
        i += 2
        if first & 0x80:
            n = first & 0x7F
            length = int.from_bytes(data[i:i + n], "big")
            i += n
        else:
            length = first
        yield tag, data[i:i + length]
        i += length


def certificate_eui(cert: x509.Certificate) -> tuple[bytes | None, str | None]:
    """(EUI, kind) from an SMKI certificate: device SAN hwSerialNum or organisation uniqueIdentifier."""
    oids = _oids()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for name in san:
            if isinstance(name, x509.OtherName) and name.type_id == oids["id_on_hardware_module_name"]:
                for tag, content in _der_items(name.value):
                    if tag == 0x30:
                        for t2, c2 in _der_items(content):
                            if t2 == 0x04 and len(c2) == 8:
                                return c2, "device"
    except x509.ExtensionNotFound:
        pass
    except ValueError:
        pass
    try:
        attrs = cert.subject.get_attributes_for_oid(oids["x500_unique_identifier"])
    except ValueError:
        attrs = []
    for attr in attrs:
        value = attr.value
        if isinstance(value, bytes) and len(value) == 9 and value[0] == 0:   # BIT STRING: unused-bits octet
            return value[1:], "organisation"
    return None, None


def certificate_role(cert: x509.Certificate) -> int | None:
    """The remote-party role of an organisation certificate: its OU as two hex digits."""
    try:
        ous = cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)
    except ValueError:
        return None
    for ou in ous:
        if isinstance(ou.value, str) and re.fullmatch(r"[0-9A-F]{2}", ou.value):
            return int(ou.value, 16)
    return None


def certificate_usage(cert: x509.Certificate) -> str | None:
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    if ku.digital_signature and not ku.key_agreement:
        return "ds"
    if ku.key_agreement and not ku.digital_signature:
        return "ka"
    return None


def public_point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


class KeyEntry:
    """One key of one entity: a certificate or bare public key, and maybe its private key."""

    __slots__ = ("eui", "usage", "prepayment", "source", "name", "role", "serial", "kind", "origin",
                 "key_id", "certificate", "_public", "_private_source", "_private", "_label")

    def __init__(self, eui: bytes, usage: str, prepayment: bool, source: str, *, origin: str = "keystore",
                 name: str | None = None, role: int | None = None, serial: int | None = None,
                 kind: str | None = None):
        self.eui, self.usage, self.prepayment, self.source = eui, usage, prepayment, source
        self.origin = origin            # keystore | message | api
        self.name, self.role, self.serial, self.kind = name, role, serial, kind
        self.key_id = next(_ids)
        self.certificate: x509.Certificate | None = None
        self._public: ec.EllipticCurvePublicKey | None = None
        self._private_source: str | None = None
        self._private: ec.EllipticCurvePrivateKey | None = None
        self._label: tuple = ()          # (eui, usage, prepayment, their label): validate asks per message

    # -- public side --------------------------------------------------------------------
    @property
    def public_key(self) -> ec.EllipticCurvePublicKey | None:
        if self._public is None and self.has_private:
            self._public = self.private_key().public_key()
        return self._public

    # -- private side -------------------------------------------------------------------
    @property
    def has_private(self) -> bool:
        return self._private is not None

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        """The private key (parsed and checked when the keystore loaded)."""
        if self._private is None:
            raise KeystoreError(f"{self.label()} has no private key")
        return self._private

    # -- text ---------------------------------------------------------------------------
    def label(self) -> str:
        known = self._label
        if known and known[0] is self.eui and known[1] is self.usage and known[2] is self.prepayment:
            return known[3]
        pp = " prepayment" if self.prepayment else ""
        text = f"{self.eui.hex().upper()} {self.usage.upper()}{pp}"
        self._label = (self.eui, self.usage, self.prepayment, text)
        return text

    def describe(self) -> str:
        """Human text naming the key (never its value): EUI, usage, name, where it came from."""
        extra = f" '{self.name}'" if self.name else ""
        return f"{self.label()}{extra} from {self.source}"

    def to_dict(self) -> dict:
        return {"eui": self.eui.hex().upper(), "usage": self.usage, "prepayment": self.prepayment,
                "source": self.source, "origin": self.origin, "name": self.name, "role": self.role,
                "kind": self.kind, "has_private_key": self.has_private}

    def __repr__(self) -> str:
        priv = ", private" if self.has_private else ""
        return f"KeyEntry({self.label()}, {self.source}{priv})"

    __str__ = describe


def _load_public_pem(data: bytes, path: str) -> tuple[x509.Certificate | None, ec.EllipticCurvePublicKey]:
    cert = None
    try:
        cert = x509.load_pem_x509_certificate(data)
        key = cert.public_key()
    except ValueError:
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            hint = " (it holds a private key: name it .key)" if b"PRIVATE KEY" in data else ""
            raise KeystoreError(f"{path}: neither a PEM certificate nor a PEM public key{hint}; "
                                "fix or remove the file") from None
    except UnsupportedAlgorithm:
        raise KeystoreError(f"{path}: the certificate uses an unsupported algorithm; GBCS keys are "
                            "EC P-256") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeystoreError(f"{path}: the key is not EC P-256; GBCS keys are P-256")
    return cert, key


def parse_private_key(data: bytes, path: str) -> ec.EllipticCurvePrivateKey:
    """A PEM (PKCS#8 or SEC1) EC P-256 private key; KeystoreError names the file and the fix."""
    if b"-----BEGIN" not in data or b"PRIVATE KEY-----" not in data:
        raise KeystoreError(f"{path}: not a PEM private key (no '-----BEGIN … PRIVATE KEY-----'); "
                            "give a PKCS#8 PEM file or remove it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeystoreError(f"{path}: the private key is password-protected; export it "
                            "unencrypted (PKCS#8 PEM) for this tool") from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeystoreError(f"{path}: not a readable PEM private key ({type(exc).__name__}); "
                            "give a PKCS#8 or SEC1 PEM EC P-256 key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeystoreError(f"{path}: the private key is {_key_kind(key)}, not EC; GBCS keys are EC P-256")
    if not isinstance(key.curve, ec.SECP256R1):
        raise KeystoreError(f"{path}: the private key is on curve {key.curve.name}, not P-256 (secp256r1); "
                            "GBCS keys are EC P-256")
    return key


def _key_kind(key: object) -> str:
    return type(key).__name__.removeprefix("_").replace("PrivateKey", "") or "of another type"


def _set_private(entry: KeyEntry, data: bytes, where: str) -> None:
    entry._private, entry._private_source = parse_private_key(data, where), where
    _check_pair(entry)


def _check_pair(entry: KeyEntry) -> None:
    """A private key and the certificate filed with it must be one key pair."""
    if entry._private is not None and entry._public is not None and \
            public_point(entry._private.public_key()) != public_point(entry._public):
        raise KeystoreError(f"{entry.source}: the private key and the certificate are not one key pair "
                            "(their public keys differ); fix or remove one of them")


class Keystore:
    """Certificates and keys by (EUI, usage, prepayment). See the module docstring."""

    def __init__(self) -> None:
        self._entries: dict[tuple[bytes, str, bool], list[KeyEntry]] = {}
        self._size = 0                  # entries held; len() is asked once per message by validate
        self.pair_cache: dict = {}      # (a, b, size) -> ECDH key pairs (gbcs.crypto.decrypt.key_pairs)
        # (what, eui, usage, prepayment) -> the entries public_entries / private_entries / kind_of
        # give: asked for every message, forgotten whenever an entry is added or changed
        self._lookups: dict = {}
        self.sources: list[str] = []
        self.warnings: list[str] = []
        self._ecdh_cache: OrderedDict[tuple[int, bytes], bytes] = OrderedDict()
        self.ecdh_computed = 0
        # id(public key) -> (the key, its encoded point): the key is held, so its id is not reused
        self._points: dict[int, tuple[ec.EllipticCurvePublicKey, bytes]] = {}

    # -- loading ------------------------------------------------------------------------
    @classmethod
    def load(cls, paths: str | os.PathLike | Iterable[str | os.PathLike]) -> "Keystore":
        """One keystore from directories (RTDS layout), Boxed JSON files and single key files."""
        ks = cls()
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        for p in paths:
            ks.add_path(p)
        return ks

    def add_path(self, path: str | os.PathLike) -> None:
        p = Path(path)
        if p.is_dir():
            self.add_directory(p)
        elif p.is_file():
            if p.suffix.lower() == ".json":
                self.add_json(p)
            elif _FILE_RE.match(p.name):
                self._add_file(p)
                self.sources.append(str(p))
            else:
                raise KeystoreError(f"{p}: not a keystore; give a directory of <eui>-ds.pem/-ka.pem/"
                                    ".key files, a DCC Boxed keystore .json, or one such key file")
        else:
            raise KeystoreError(f"{p}: no such file or directory; give a keystore directory or JSON file")

    def add_directory(self, path: str | os.PathLike) -> None:
        folder = Path(path)
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            raise KeystoreError(f"{folder}: cannot list the keystore directory ({exc.strerror})") from None
        for name in names:
            f = folder / name
            if not f.is_file():
                continue
            if _FILE_RE.match(name):
                self._add_file(f)
            elif f.suffix.lower() in (".pem", ".key", ".crt", ".der", ".cer"):
                self.warnings.append(f"{f}: ignored; keystore files are named <eui>[-pp]-ds|ka.pem|.key")
        self.sources.append(str(folder))

    def _add_file(self, f: Path) -> None:
        self._lookups.clear()
        m = _FILE_RE.match(f.name)
        assert m is not None
        eui, pp, usage, ext = bytes.fromhex(m.group(1)), bool(m.group(2)), m.group(3).lower(), m.group(4).lower()
        try:
            data = f.read_bytes()
        except OSError as exc:
            raise KeystoreError(f"{f}: cannot read ({exc.strerror})") from None
        entry = self._file_entry(eui, usage, pp, f)
        if entry.source != str(f):
            entry.source = f"{entry.source} + {f.name}"
        if ext == "pem":
            cert, key = _load_public_pem(data, str(f))
            self._set_public(entry, cert, key, str(f))
            _check_pair(entry)
        else:
            _set_private(entry, data, str(f))

    def _file_entry(self, eui: bytes, usage: str, pp: bool, f: Path) -> KeyEntry:
        """The entry a .pem and its .key share (same folder, same stem)."""
        stem = str(f.with_suffix(""))
        for e in self._entries.get((eui, usage, pp), []):
            if e.origin == "keystore" and e.source.split(" + ")[0].rsplit(".", 1)[0] == stem:
                return e
        e = KeyEntry(eui, usage, pp, str(f))
        self._entries.setdefault((eui, usage, pp), []).append(e)
        self._size += 1
        return e

    def _set_public(self, entry: KeyEntry, cert: x509.Certificate | None, key: ec.EllipticCurvePublicKey,
                    where: str) -> None:
        entry.certificate, entry._public = cert, key
        if cert is None:
            return
        entry.serial = cert.serial_number
        cert_eui, kind = certificate_eui(cert)
        entry.kind = entry.kind or kind
        if entry.role is None:
            entry.role = certificate_role(cert)
        if cert_eui is not None and cert_eui != entry.eui:
            self.warnings.append(f"{where}: filed under {entry.eui.hex().upper()} but the certificate is "
                                 f"for {cert_eui.hex().upper()}; it is used as "
                                 f"{entry.eui.hex().upper()}'s key")
        cu = certificate_usage(cert)
        if cu is not None and cu != entry.usage:
            self.warnings.append(f"{where}: filed as a {entry.usage.upper()} key but the certificate's "
                                 f"key usage is {cu.upper()}")

    def add_json(self, path: str | os.PathLike) -> None:
        """A DCC Boxed keystore JSON file."""
        p = Path(path)
        try:
            tree = json.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise KeystoreError(f"{p}: cannot read ({exc.strerror})") from None
        except RecursionError:
            raise KeystoreError(f"{p}: JSON nested too deeply to be a keystore; give a DCC Boxed "
                                "keystore.json") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise KeystoreError(f"{p}: not valid JSON ({exc}); give a DCC Boxed keystore.json") from None
        if not isinstance(tree, dict):
            raise KeystoreError(f"{p}: a DCC Boxed keystore is a JSON object keyed by EUI")
        for eui_text, usages in tree.items():
            where = f"{p}#/{eui_text}"
            try:
                eui = normalise_eui(eui_text)
            except KeystoreError:
                raise KeystoreError(f"{where}: the key {eui_text!r} is not an EUI-64 (16 hex digits)") from None
            if not isinstance(usages, dict):
                raise KeystoreError(f"{where}: expected an object with digitalSignature/keyAgreement")
            for usage_name, serials in usages.items():
                if usage_name not in _JSON_USAGE:
                    raise KeystoreError(f"{where}/{usage_name}: unknown key usage; expected "
                                        "digitalSignature or keyAgreement")
                if not isinstance(serials, dict):
                    raise KeystoreError(f"{where}/{usage_name}: expected an object keyed by serial number")
                for serial, item in serials.items():
                    self._add_json_item(eui, _JSON_USAGE[usage_name], serial, item, f"{where}/{usage_name}/{serial}")
        self.sources.append(str(p))

    def _add_json_item(self, eui: bytes, usage: str, serial: str, item: object, where: str) -> None:
        self._lookups.clear()
        if not isinstance(item, dict):
            raise KeystoreError(f"{where}: expected an object with certificate, privateKey, name, role")
        cert_pem, key_pem = item.get("certificate"), item.get("privateKey")
        name, role = item.get("name"), item.get("role")
        if cert_pem is None and key_pem is None:
            raise KeystoreError(f"{where}: has neither a certificate nor a privateKey")
        for field, value in (("certificate", cert_pem), ("privateKey", key_pem), ("name", name)):
            if value is not None and not isinstance(value, str):
                raise KeystoreError(f"{where}/{field}: expected a string")
        if role is not None and not isinstance(role, int):
            raise KeystoreError(f"{where}/role: expected an integer")
        pp = bool(name and _PP_NAME_RE.search(name))
        entry = KeyEntry(eui, usage, pp, where, name=name, role=role,
                         kind="organisation" if role is not None else None)
        try:
            entry.serial = int(serial)
        except ValueError:
            pass
        if cert_pem is not None:
            cert, key = _load_public_pem(cert_pem.encode(), where + "/certificate")
            if cert is None:
                raise KeystoreError(f"{where}/certificate: a bare public key where an X.509 certificate is "
                                    "expected; give the PEM certificate")
            self._set_public(entry, cert, key, where)
        if key_pem is not None:
            _set_private(entry, key_pem.encode(), where + "/privateKey")
        self._entries.setdefault((eui, usage, pp), []).append(entry)
        self._size += 1

    def add_certificate(self, certificate: x509.Certificate | bytes | str, *, source: str = "message",
                        eui: bytes | str | None = None, usage: str | None = None,
                        prepayment: bool = False, origin: str = "message") -> KeyEntry:
        """A certificate (DER, PEM or object), e.g. one carried in a message. Returns its entry.

        The EUI and usage come from the certificate (SMKI device SAN / organisation
        uniqueIdentifier, keyUsage) unless given. A certificate already present is not added twice.
        """
        if isinstance(certificate, x509.Certificate):
            cert = certificate
        else:
            raw = certificate.encode() if isinstance(certificate, str) else bytes(certificate)
            try:
                cert = (x509.load_pem_x509_certificate(raw) if raw.lstrip().startswith(b"-----")
                        else x509.load_der_x509_certificate(raw))
            except ValueError:
                raise KeystoreError(f"{source}: not a readable X.509 certificate") from None
        cert_eui, kind = certificate_eui(cert)
        the_eui = normalise_eui(eui) if eui is not None else cert_eui
        if the_eui is None:
            raise KeystoreError(f"{source}: the certificate names no EUI (no SMKI SAN or uniqueIdentifier); "
                                "pass eui=")
        the_usage = _usage(usage) if usage is not None else certificate_usage(cert)
        if the_usage is None:
            raise KeystoreError(f"{source}: the certificate's key usage is neither digital signature nor "
                                "key agreement; pass usage=")
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            raise KeystoreError(f"{source}: the certificate's key is not EC P-256")
        point = public_point(key)
        for e in self._entries.get((the_eui, the_usage, prepayment), []):
            if e._public is not None and public_point(e._public) == point:
                return e
        self._lookups.clear()
        entry = KeyEntry(the_eui, the_usage, prepayment, source, origin=origin, kind=kind,
                         serial=cert.serial_number, role=certificate_role(cert))
        entry.certificate, entry._public = cert, key
        self._entries.setdefault((the_eui, the_usage, prepayment), []).append(entry)
        self._size += 1
        return entry

    def add_key(self, eui: bytes | str, usage: str, *, private_key: ec.EllipticCurvePrivateKey | None = None,
                public_key: ec.EllipticCurvePublicKey | None = None,
                certificate: x509.Certificate | None = None, prepayment: bool = False,
                source: str = "api", name: str | None = None, kind: str | None = None) -> KeyEntry:
        """Add key objects directly (tests, programs that hold their own keys)."""
        self._lookups.clear()
        entry = KeyEntry(normalise_eui(eui), _usage(usage), prepayment, source, origin="api", name=name,
                         kind=kind)
        if certificate is not None:
            self._set_public(entry, certificate, certificate.public_key(), source)
            if kind is None:
                entry.kind = certificate_eui(certificate)[1]
        elif public_key is not None:
            entry._public = public_key
        if private_key is not None:
            entry._private = private_key
        if entry._public is None and entry._private is None:
            raise KeystoreError("add_key needs a private key, a public key or a certificate")
        self._entries.setdefault((entry.eui, entry.usage, prepayment), []).append(entry)
        self._size += 1
        return entry

    # -- look-up ------------------------------------------------------------------------
    def find(self, eui: bytes | str, usage: str, *, prepayment: bool = False, role: int | None = None,
             include_non_gbcs: bool = False) -> list[KeyEntry]:
        """Every entry for the EUI and usage, keystore files first, then message certificates.

        `role` keeps only entries of that remote-party role (Boxed JSON roles, or the OU of an
        organisation certificate). Keys of DUIS XML-signing roles (Boxed keystore) are left out
        unless asked for.
        """
        found = list(self._entries.get((normalise_eui(eui), _usage(usage), prepayment), ()))
        if role is not None:
            found = [e for e in found if e.role == role]
        if not include_non_gbcs:
            skip = facts().non_gbcs_roles
            found = [e for e in found if e.role not in skip]
        if len(found) > 1:
            found.sort(key=lambda e: e.origin == "message")     # stable, as sorted() is
        return found

    def public_entries(self, eui: bytes | str, usage: str, *, prepayment: bool = False) -> list[KeyEntry]:
        return list(self._recalled(("public", eui, usage, prepayment), self._public_entries))

    def _public_entries(self, _, eui, usage, prepayment) -> list[KeyEntry]:
        return [e for e in self.find(eui, usage, prepayment=prepayment) if e.public_key is not None]

    def private_entries(self, eui: bytes | str, usage: str, *, prepayment: bool = False) -> list[KeyEntry]:
        return list(self._recalled(("private", eui, usage, prepayment), self._private_entries))

    def _private_entries(self, _, eui, usage, prepayment) -> list[KeyEntry]:
        return [e for e in self.find(eui, usage, prepayment=prepayment) if e.has_private]

    def kind_of(self, eui: bytes | str) -> str | None:
        """'device' or 'organisation' as the certificates (or Boxed roles) show, else None."""
        return self._recalled(("kind", eui), self._kind_of)

    def _recalled(self, key: tuple, compute):
        """compute(*key), remembered until the keystore changes (copies are the callers' to make)."""
        if type(key[1]) not in (bytes, str):         # a bytearray or a bad EUI: not a dict key
            return compute(*key)
        lookups = self._lookups
        if key in lookups:
            return lookups[key]
        value = compute(*key)
        if len(lookups) >= _LOOKUPS_KEPT:
            lookups.clear()
        lookups[key] = value
        return value

    def _kind_of(self, _, eui: bytes | str) -> str | None:
        raw = normalise_eui(eui)
        kinds = {e.kind for usage in USAGES for pp in (False, True)
                 for e in self._entries.get((raw, usage, pp), ())}
        for k in ("device", "organisation"):
            if k in kinds:
                return k
        return None

    def entities(self) -> list[bytes]:
        return sorted({k[0] for k in self._entries})

    def __iter__(self) -> Iterator[KeyEntry]:
        for es in self._entries.values():
            yield from es

    def __len__(self) -> int:
        return self._size

    # -- ECDH ---------------------------------------------------------------------------
    def point(self, public_key: ec.EllipticCurvePublicKey) -> bytes:
        """public_point(public_key), encoded once per key object (keys compare by their point)."""
        known = self._points.get(id(public_key))
        if known is None or known[0] is not public_key:
            if len(self._points) >= _ECDH_CACHE_SIZE:
                self._points.clear()
            known = self._points[id(public_key)] = (public_key, public_point(public_key))
        return known[1]

    def shared_secret(self, private_entry: KeyEntry, public_key: ec.EllipticCurvePublicKey) -> bytes:
        """ECDH Z for (private key, public key), computed once per pair and cached."""
        cache_key = (private_entry.key_id, self.point(public_key))
        z = self._ecdh_cache.get(cache_key)
        if z is not None:
            self._ecdh_cache.move_to_end(cache_key)
            return z
        z = kdf.ecdh(private_entry.private_key(), public_key)
        self.ecdh_computed += 1
        self._ecdh_cache[cache_key] = z
        if len(self._ecdh_cache) > _ECDH_CACHE_SIZE:
            self._ecdh_cache.popitem(last=False)
        return z

    # -- text ---------------------------------------------------------------------------
    def summary(self) -> dict:
        return {"sources": list(self.sources), "entities": len(self.entities()), "keys": len(self),
                "private_keys": sum(1 for e in self if e.has_private), "warnings": list(self.warnings)}

    def __repr__(self) -> str:
        s = self.summary()
        return (f"Keystore({s['keys']} keys for {s['entities']} entities, {s['private_keys']} with "
                f"private keys, from {len(self.sources)} source{'s' if len(self.sources) != 1 else ''})")

    __str__ = __repr__
