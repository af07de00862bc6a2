"""What a payload decoder may know about the message around it."""
from __future__ import annotations

from dataclasses import dataclass, field

from gbcs.spec.load import SpecSet


@dataclass(init=False, slots=True)     # slots: one per message, no instance dict to fill
class PayloadContext:
    specs: SpecSet
    message_code: int | None = None
    cra_flag: int | None = None            # 1 command, 2 response, 3 alert
    originator_counter: int | None = None
    originator: bytes | None = None
    recipient: bytes | None = None
    notes: list[str] = field(default_factory=list)

    # Written out (init=False): the generated one is interpreted bytecode even in the compiled
    # twin, and every decode with a payload makes one.
    def __init__(self, specs: SpecSet, message_code: int | None = None, cra_flag: int | None = None,
                 originator_counter: int | None = None, originator: bytes | None = None,
                 recipient: bytes | None = None, notes: list[str] | None = None):
        self.specs = specs
        self.message_code = message_code
        self.cra_flag = cra_flag
        self.originator_counter = originator_counter
        self.originator = originator
        self.recipient = recipient
        self.notes = [] if notes is None else notes
