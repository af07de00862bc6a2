"""The vocabulary of `struct` field types and options. gbcs/wire/layout.py compiles rows
written with them into a program (op codes); the walker, the construct compiler and the
example generator all read that program, and a test checks every type is covered."""

INT_TYPES: dict[str, tuple[int, bool, bool]] = {}   # name -> (size, signed, little_endian)
for _bits in (8, 16, 24, 32, 40, 48, 56, 64):
    _size = _bits // 8
    INT_TYPES[f"u{_bits}"] = (_size, False, False)
    INT_TYPES[f"i{_bits}"] = (_size, True, False)
    if _size > 1:
        INT_TYPES[f"u{_bits}le"] = (_size, False, True)
        INT_TYPES[f"i{_bits}le"] = (_size, True, True)

# name -> (argument count, takes a nested block of fields)
LAYOUT_TYPES: dict[str, tuple[int, bool]] = {name: (0, False) for name in INT_TYPES}
LAYOUT_TYPES.update({
    "bytes": (1, False),          # bytes(N | length_field): that many raw bytes
    "octstr": (0, False),         # ZCL octet string: 1-byte length, then the bytes
    "charstr": (0, False),        # ZCL character string: 1-byte length, then text
    "rest": (0, False),           # every byte left in the enclosing frame
    "utc2000": (0, False),        # u32 BE seconds since 2000-01-01T00:00:00Z (GBZ envelope)
    "utc2000le": (0, False),      # u32 LE seconds since 2000-01-01T00:00:00Z (ZCL UTCTime)
    "zcl_date": (0, False),       # ZCL Date: year-1900, month, day, day of week (FF = any)
    "dlms_datetime": (0, False),  # 12-byte DLMS date-time
    "struct": (1, False),         # struct(name): another struct item, inline
    "repeat": (1, True),          # repeat(count_field | N) { fields }
    "repeat_to_end": (0, True),   # repeat_to_end { fields }: until the frame ends
    "if_remaining": (0, True),    # if_remaining { fields }: present only if bytes remain
    "when": (2, True),            # when(field, mask) { fields }: present if field & mask
    "when_eq": (2, True),         # when_eq(field, value) { fields }: present if field == value
    "when_ne": (2, True),         # when_ne(field, value) { fields }: present if field != value
    "zcl_value": (1, False),      # zcl_value(type_field): a value of the ZCL data type held in
                                  #   type_field, read as that type's row in its table(...) says
    "day_minutes": (0, False),    # u16 LE minutes after midnight (ZSE schedule start times)
    "ber_length": (0, False),     # BER/DER definite length: 00-7F, or 81-84 + that many bytes
})

# Options a struct field may carry after its type.
# name -> (least, most) arguments. A constant below is a number, `enum.member`, or
# `kind.item.key` (the first integer cell of that table row, e.g. envelope_size.gbcs.mac).
FIELD_OPTIONS: dict[str, tuple[int, int]] = {
    "enum": (1, 1),     # enum(name): the value is a member of that enum item
    "table": (1, 1),    # table(name | kind.name): the value is a key of that table item
    "expect": (1, 1),   # expect(constant | enum): the value must be that (ConstraintError);
                        #   the field's "title" says what was expected
    "known": (1, 1),    # known(constant | enum): likewise, but a stranger is an unknown code
    "if": (1, 2),       # if(field) / if(field, mask): the field is there only when that
                        #   earlier integer field is non-zero / has a bit of mask set
    "show": (1, 1),     # show(name | hex | bits | dlms_datetime): how the meaning is written
                        #   (enum member name instead of title; hex id; set bits of the enum)
}

# show(...) formats; layout.py writes them, the rest only check the name.
SHOW_FORMATS = ("name", "hex", "bits", "dlms_datetime")
