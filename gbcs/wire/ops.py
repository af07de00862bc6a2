"""The instruction set of compiled struct layouts: one op code per field type of
gbcs/spec/types.py, and the meaning formats of show(...).

gbcs/wire/layout.py compiles struct rows into these ops and is their one interpreter; the
construct compiler and the example generator (gbcs/compile/structs.py) translate the same ops.
A plain module (not compiled), so the codes are Python-visible; the compiled layout.py holds
them as C ints (gbcs/wire/layout.pxd).
"""
from __future__ import annotations

OP_UINT = 1            # big-endian unsigned integer (size)
OP_UINT_LE = 2         # little-endian unsigned integer
OP_SINT = 3            # signed integer (size, little)
OP_UTC2000 = 4         # u32 BE seconds since 2000
OP_UTC2000_LE = 5      # u32 LE seconds since 2000
OP_OCTSTR = 6          # 1-byte length + bytes
OP_CHARSTR = 7         # 1-byte length + text
OP_BYTES = 8           # count bytes, or as many as field `ref` says
OP_REST = 9            # the rest of the frame
OP_DAY_MINUTES = 10    # u16 LE minutes after midnight
OP_ZCL_DATE = 11       # year, month, day, day of week
OP_DLMS_DATETIME = 12  # 12 bytes
OP_STRUCT = 13         # another struct item's ops (block), fresh scope
OP_REPEAT = 14         # count (or field `ref`) items of block
OP_REPEAT_TO_END = 15  # items of block until the frame ends
OP_IF_REMAINING = 16   # block if bytes remain
OP_WHEN = 17           # block if field `ref` & mask
OP_WHEN_EQ = 18        # block if field `ref` == mask
OP_WHEN_NE = 19        # block if field `ref` != mask
OP_ZCL_VALUE = 20      # choices[field `ref`]
OP_BER_LENGTH = 21     # BER definite length

OP_CODES = {
    "utc2000": OP_UTC2000, "utc2000le": OP_UTC2000_LE, "octstr": OP_OCTSTR, "charstr": OP_CHARSTR,
    "bytes": OP_BYTES, "rest": OP_REST, "day_minutes": OP_DAY_MINUTES, "zcl_date": OP_ZCL_DATE,
    "dlms_datetime": OP_DLMS_DATETIME, "struct": OP_STRUCT, "repeat": OP_REPEAT,
    "repeat_to_end": OP_REPEAT_TO_END, "if_remaining": OP_IF_REMAINING, "when": OP_WHEN,
    "when_eq": OP_WHEN_EQ, "when_ne": OP_WHEN_NE, "zcl_value": OP_ZCL_VALUE, "ber_length": OP_BER_LENGTH,
}

SHOW_DEFAULT = 0       # the enum/table meaning, if any
SHOW_HEX = 1           # bytes as upper-case hex (an EUI-64)
SHOW_BITS = 2          # the titles of the enum's bits that are set
SHOW_DLMS_DATETIME = 3
