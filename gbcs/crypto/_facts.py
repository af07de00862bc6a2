"""The fixed values of GBCS cryptography, read once from specs/crypto.gbspec."""
from __future__ import annotations

from functools import lru_cache

from gbcs.spec import specs


class Facts:
    def __init__(self, s):
        c = {k: bytes.fromhex(r.cells["hex"]) for k, r in s.get("crypto_constant", "gbcs").by_key.items()}
        self.acb_default: bytes = c["acb_default"]
        self.kdf_algorithm_id: bytes = c["kdf_algorithm_id"]
        self.kdf_counter: bytes = c["kdf_counter"]
        # from specs/envelope.gbspec: the OtherInfo length byte is the transaction-id length; a
        # MAC'd message's security header is "authenticated" with invocation counter 0
        size = {k: r.cells["bytes"] for k, r in s.get("envelope_size", "gbcs").by_key.items()}
        control = {r.cells["name"]: r.cells["value"] for r in s.enum("security_control").rows}
        self.transaction_id_tag: bytes = bytes([size["transaction_id"]])
        self.mac_security_header: bytes = bytes([control["authenticated"]]) + bytes(size["security_header"] - 1)
        self.mac_aad_filler: bytes = c["mac_aad_filler"]
        self.payload_security: bytes = bytes([control["authenticated_encrypted"]])
        self.security_header_size: int = size["security_header"]      # control byte + invocation counter
        self.tag_length: int = size["mac"]                             # GCM tags are cut to this
        self.signature_size: int = size["signature"]
        self.system_title_size: int = size["system_title"]
        self.counter_size: int = size["transaction_id"] - 1            # the transaction id after its CRA flag
        tags = {r.cells["name"]: r.cells["value"] for r in s.enum("apdu_tag").rows}
        self.general_signing_tag: bytes = bytes([tags["general_signing"]])
        self.modes = {r.cells["name"]: r.cells["value"] for r in s.enum("kdf_mode").rows}
        self.non_gbcs_roles = frozenset(r.cells["value"] for r in s.enum("non_gbcs_role").rows)
        self.gbz_control = {r.cells["name"]: r.cells["value"] for r in s.enum("gbz_control_bit").rows}
        # DLMS Data types (specs/dlms.gbspec): how many bytes follow each tag, to step over data
        types = s.get("dlms_data_type", "axdr").by_key
        self.axdr_read = {tag: (str(r.cells["read"]), r.cells["size"]) for tag, r in types.items()}
        self.axdr_tag = {str(r.cells["name"]): tag for tag, r in types.items()}
        self.dlms_protected_apdus = {r.cells["value"]: r.cells["name"] for r in s.enum("dlms_protected_apdu").rows}


@lru_cache(maxsize=1)
def facts() -> Facts:
    return Facts(specs())
