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
        self.transaction_id_tag: bytes = c["transaction_id_tag"]
        self.mac_security_header: bytes = c["mac_security_header"]
        self.mac_aad_filler: bytes = c["mac_aad_filler"]
        self.payload_security: bytes = c["payload_security"]
        self.modes = {r.cells["name"]: r.cells["value"] for r in s.enum("kdf_mode").rows}
        self.non_gbcs_roles = frozenset(r.cells["value"] for r in s.enum("non_gbcs_role").rows)
        self.gbz_control = {r.cells["name"]: r.cells["value"] for r in s.enum("gbz_component_control").rows}
        # DLMS Data types (specs/dlms.gbspec): how many bytes follow each tag, to step over data
        types = s.get("dlms_data_type", "axdr").by_key
        self.axdr_read = {tag: (str(r.cells["read"]), r.cells["size"]) for tag, r in types.items()}
        self.axdr_tag = {str(r.cells["name"]): tag for tag, r in types.items()}
        self.dlms_protected_apdus = {r.cells["value"]: r.cells["name"] for r in s.enum("dlms_protected_apdu").rows}


@lru_cache(maxsize=1)
def facts() -> Facts:
    return Facts(specs())
