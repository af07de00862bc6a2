"""What a payload decoder may know about the message around it."""
from __future__ import annotations

from dataclasses import dataclass, field

from gbcs.spec.load import SpecSet


@dataclass
class PayloadContext:
    specs: SpecSet
    message_code: int | None = None
    cra_flag: int | None = None            # 1 command, 2 response, 3 alert
    originator_counter: int | None = None
    originator: bytes | None = None
    recipient: bytes | None = None
    notes: list[str] = field(default_factory=list)
