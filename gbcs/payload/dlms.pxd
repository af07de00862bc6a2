# Cython declarations for the compiled twin of dlms.py (setup.py builds it from the .py; this
# file only adds types). The tables become C structs, the decoder's steps C-level methods of a
# final class, the counters and depths C integers. Attributes stay `public`: gbcs.testing and
# the builders read them from Python.
cimport cython
from libc.stdint cimport int64_t
from gbcs.wire._walker_c cimport Tape, Walker
from gbcs.spec.at_hand cimport AtHand

cdef int _NONE, _LIST, _BOOLEAN, _INT, _UINT, _BCD, _FLOAT, _BITS, _OCTETS, _ASCII, _UTF8, _COMPACT
cdef int _DATETIME, _DATE, _TIME
cdef Py_ssize_t _MAX_DEPTH, _COUNTED
cdef bint _COMPILED
cdef list _ELEMENT_NAMES, _DATA_NAMES, _REQUEST_SPEC_NAMES, _RESPONSE_SPEC_NAMES
cdef AtHand _TABLES

cpdef str _element_name(Py_ssize_t i)
cpdef str _data_name(Py_ssize_t i)


@cython.final
cdef class _Type:
    cdef public object tag, name, read, size, title
    cdef public int kind
    cdef public Py_ssize_t width
    cdef public bint is_structure
    cdef public list counted


@cython.final
cdef class _Layout:
    cdef public object name, title, program, size
    cdef public dict enums
    cdef public frozenset descriptors


@cython.final
cdef class _Shape:
    cdef public object item, path, name, type, read, count
    cdef public dict children
    cdef public _Shape star
    cdef public bint is_shape_ref, is_any, is_der
    cdef public Py_ssize_t want_count
    cdef public int type_tag
    cdef public _Shape ref
    cdef public _Layout layout
    cdef public object read_call
    cpdef _Shape child(self, Py_ssize_t index)


@cython.final
cdef class _Choice:
    cdef public object code, name, title
    cdef public bint is_action, selects, parameters
    cdef public dict results, result_meanings


cpdef long long _member_key(long long cid, bint is_method, long long idx)


@cython.final
cdef class _Tables:
    cdef public object specs
    cdef public dict types, type_by_name, enums, apdus, request_choices, response_choices, invoke_flags
    cdef public dict special_datetimes, classes, class_by_name, members, objects, layouts, shapes
    cdef public dict alert_bodies, parameter_shapes, selector_shapes, security_control
    cdef public int security_header_size, tag_length, datetime_size
    cdef public _Shape default_alert, protected_shape
    cdef public object protected_codes
    cdef public list by_tag, invoke_flag_titles
    cdef public object invoke_known, date_time_length_codes, optional_codes, invoke_flag_bits
    cdef public dict invoke_words, member_titles, parameter_shape_by_key
    cdef public list request_by_code, response_by_code
    cdef public int class_id_tag, logical_name_tag, der_sequence_tag, structure_tag
    cdef public dict date_time_lengths, optional, object_meanings, month_special, day_special, days_of_week
    cpdef dict enum(self, name)
    cpdef str invoke_flags_text(self, v)


@cython.locals(n=Py_ssize_t, text=str)
cpdef str _octets_meaning(_Tables t, bytes raw)

@cython.locals(text=str)
cpdef str _object_meaning(_Tables t, raw)
@cython.locals(a=int, b=int, c=int, d=int, e=int, f=int, dec=list)
cpdef str obis_text(raw)

@cython.locals(b="unsigned char")
cpdef bint _printable(bytes raw) except -1

cpdef _Tables _tables(s)
cpdef str _class_meaning(_Tables t, cid)

cdef list _TWO_DIGITS, _BYTE_BITS, _DECIMAL

@cython.locals(b="unsigned char")
cpdef str _bit_digits(bytes raw)

cpdef str _date_field(int value, int highest, dict special)

@cython.locals(year=int, month=int, day=int, dow=int, exact=bint, mtext=str, dtext=str, ytext=str)
cpdef str _date_text(_Tables t, bytes raw, Py_ssize_t at=*)

@cython.locals(hour=int, minute=int, second=int, hundredths=int, htext=str, mtext=str, stext=str)
cpdef str _time_text(bytes raw, Py_ssize_t at=*)

@cython.locals(deviation=int, offset=int, size=int, status=int, date=str, time=str, text=str)
cpdef _datetime_text(_Tables t, bytes raw)


@cython.final
cdef class _Dlms:
    cdef public Walker w
    cdef public object ctx
    cdef public _Tables t
    cdef public Py_ssize_t structures

    cpdef note(self, str text)
    # lengths and counts take up to 4 bytes: 64-bit integers hold them on 32-bit builds too
    @cython.locals(n="long long", at=Py_ssize_t)
    cpdef int64_t count(self, name, what, Py_ssize_t min_size=*) except? -1
    @cython.locals(n="long long", at=Py_ssize_t)
    cpdef int64_t length(self, name=*) except? -1
    cpdef invoke_id(self)
    cpdef date_time(self)
    @cython.locals(target=str, text=str)
    cpdef tuple descriptor(self, bint is_method)
    cpdef class_note(self, cid, raw)
    @cython.locals(choice=_Choice)
    cpdef _Shape request_spec(self, Py_ssize_t i)
    cpdef list request_specs(self)
    @cython.locals(n="long long", i="long long", choice=_Choice, result=tuple)
    cpdef response_specs(self)
    @cython.locals(n="long long", i="long long", given=Py_ssize_t, item_shape=_Shape, rows=list, w=Walker,
                   at=Py_ssize_t, structure_tag=int)
    cpdef list data_list(self, _Shape shape=*, bint quiet=*, list specs=*)
    cpdef mismatch(self, _Shape shape, why, name=*)
    cpdef peek_count(self)
    @cython.locals(typ=_Type, n="long long", i="long long", kind=int, child=_Shape, at=Py_ssize_t, tag=int,
                   row=Py_ssize_t, pairs=bint, class_id_tag=int, logical_name_tag=int, before_tag=int,
                   before=Py_ssize_t, j=Py_ssize_t, found=list, tape=Tape)
    cpdef Py_ssize_t data(self, name, Py_ssize_t depth, _Shape shape=*, bint quiet=*, override=*) except -1
    cpdef Py_ssize_t der_sequence(self, _Shape shape, name) except -1
    @cython.locals(va=Py_ssize_t, vb=Py_ssize_t)
    cpdef cosem_pair(self, Tape tape, Py_ssize_t first, Py_ssize_t second)
    @cython.locals(kind=int)
    cpdef fixed(self, name, _Type typ, _Shape shape=*)
    cpdef integer_meaning(self, _Shape shape, v)
    @cython.locals(n="long long", bits="long long", nbytes="long long", at=Py_ssize_t, kind=int, raw=bytes)
    cpdef variable(self, name, _Type typ, _Shape shape=*)
    # fields() is a def: its layout hooks are closures
    @cython.locals(typ=_Type, n="long long", i="long long")
    cpdef tuple type_description(self, name, Py_ssize_t depth)
    @cython.locals(i=Py_ssize_t, before=Py_ssize_t)
    cpdef compact_array(self, Py_ssize_t depth)
    @cython.locals(j=Py_ssize_t, typ=_Type, read=int)
    cpdef untagged(self, name, tuple desc, Py_ssize_t depth)


@cython.locals(t=_Tables, d=_Dlms, specs=list, n=Py_ssize_t, rows=list, row=Py_ssize_t, tape=Tape)
cpdef decode_dlms(Walker w, ctx)
