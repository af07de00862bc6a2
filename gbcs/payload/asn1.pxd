# Cython declarations for the compiled twin of asn1.py (setup.py builds it from the .py; this
# file only adds types). TLV parsing runs over a typed memoryview with C integers; TLVs, plans,
# type expressions and tables become final C structs; the matcher's and emitter's steps are
# C-level calls. Attributes stay `public`: gbcs.testing reads them from Python.
cimport cython
from gbcs.wire._walker_c cimport Walker

cdef list _ELEMENT_NAMES

cpdef str _element_name(Py_ssize_t i)


@cython.final
cdef class _Tlv:
    cdef public Py_ssize_t start, tag_end, hdr_end, end, depth
    cdef public long cls, number, key
    cdef public bint constructed, minimal_length
    cdef public list children


cpdef long _key(long cls, long number)
cdef long _NO_TAG, _SEQUENCE_KEY, _SET_KEY, _BIT_STRING_KEY, _OCTET_STRING_KEY

cpdef str _join(str path, str name)
cpdef str _path(str base, list trail)
cpdef str _where(Walker w, str base, list trail, part=*)

@cython.locals(i=Py_ssize_t, tlv=_Tlv)
cpdef list _parse_all(Walker w, _Tables t, const unsigned char[::1] data, Py_ssize_t pos, Py_ssize_t end,
                      Py_ssize_t depth, str base, list trail)

@cython.locals(start=Py_ssize_t, first=int, cls=long, constructed=bint, number=long, count=int, b=int,
               tag_end=Py_ssize_t, lb=int, minimal=bint, length="long long", n=int, tlv=_Tlv,
               u=_Universal, problem=str)
cpdef _Tlv _parse_one(Walker w, _Tables t, const unsigned char[::1] data, Py_ssize_t pos, Py_ssize_t end,
                      Py_ssize_t depth, str base, list trail)

cdef int _FORBIDDEN, _CONSTRUCTED, _BOOLEAN, _INTEGER, _NULL, _BIT_STRING, _OCTETS, _OID, _RELATIVE_OID
cdef int _UTC_TIME, _GENERALIZED_TIME, _OPAQUE, _PRINTABLE_STRING, _NUMERIC_STRING, _ASCII, _LATIN1
cdef int _UTF8, _UTF16, _UTF32
cdef tuple _KIND_NAMES
cdef dict _KINDS


cdef dict _TIME_PROBLEMS
cdef object _UNSEEN

@cython.locals(n=Py_ssize_t, unused=int, i=Py_ssize_t, raw=bytes, key=tuple)
cpdef str _check_primitive(int kind, bytes data, Py_ssize_t s, Py_ssize_t e)


@cython.final
cdef class _Universal:
    cdef public object number, name, decode, title, node
    cdef public int kind


@cython.final
cdef class _TAny:
    pass


@cython.final
cdef class _TUni:
    cdef public _Universal u


@cython.final
cdef class _TRef:
    cdef public _Item item


@cython.final
cdef class _TList:
    cdef public object elem
    cdef public bint is_set
    cdef public list names


@cython.final
cdef class _TTag:
    cdef public object number, inner
    cdef public bint explicit


@cython.final
cdef class _TContaining:
    cdef public bint bits
    cdef public object inner


@cython.final
cdef class _Field:
    cdef public object name, type, optional, hints, typed_by, first_tags
    cdef public dict substituted


@cython.final
cdef class _Item:
    cdef public object name, form, node
    cdef public list fields
    cdef public bint typed, alias, choice
    cdef public _TRef ref


@cython.final
cdef class _Tables:
    cdef public object specs, certificate
    cdef public dict universal, universal_by_name, oids, enums, lookups, items, dispatch, oid_texts
    cdef public list universals, tag_texts
    cdef public dict bits_texts
    cpdef str tag_text(self, _Tlv tlv)
    cpdef str _tag_text(self, long cls, long number, bint constructed)


@cython.final
cdef class _Plan:
    cdef public _Tlv tlv
    cdef public object name, meaning
    cdef public int kind
    cdef public dict hints
    cdef public list children
    cdef public _Plan inner


cdef dict _NO_HINTS

@cython.locals(plan=_Plan)
cpdef _Plan _plan(_Tlv tlv, name, int kind, dict hints, list children, _Plan inner)
cpdef dict _merged(dict under, dict over)
cpdef str _default_name(t)
@cython.locals(child=_Plan)
cpdef _Plan _child_named(_Plan plan, name)


@cython.final
cdef class _Matcher:
    cdef public Walker w
    cdef public _Tables t
    cdef public list notes
    cdef public dict memo

    cpdef fail(self, _Tlv tlv, expected)
    @cython.locals(item=_Item, f=_Field, alt=_Field, u=_Universal, kept=Py_ssize_t, plan=_Plan,
                   i=Py_ssize_t, c=_Tlv, key=long, children=list, tags=frozenset, problem=str, ref=_TRef,
                   uni=_TUni, tag=_TTag, lst=_TList, names=list)
    cpdef _Plan match(self, typ, _Tlv tlv, name, dict hints=*, long implicit=*)
    @cython.locals(f=_Field, i=Py_ssize_t, nkids=Py_ssize_t, kids=list, plan=_Plan, children=list,
                   done=dict, tags=frozenset, kid=_Tlv)
    cpdef _Plan sequence(self, _Item item, _Tlv tlv, name, long key)
    @cython.locals(plan=_Plan, raw=bytes, known=tuple, entry=tuple, found=tuple, target=_Item)
    cpdef tuple resolve_typed_by(self, _Field f, dict done)
    @cython.locals(u=_Universal, start=Py_ssize_t, plan=_Plan, key=long, inner=list, kind=int)
    cpdef _Plan containing(self, _TContaining typ, _Tlv tlv, name, hints, long implicit)
    cpdef _Plan unwrapped(self, _TContaining typ, _Tlv tlv, name, int kind, why)
    @cython.locals(plan=_Plan, kept=Py_ssize_t)
    cpdef _Plan generic(self, _Tlv tlv, name)
    @cython.locals(u=_Universal, plan=_Plan, kept=Py_ssize_t, cert=_Item)
    cpdef _Plan _generic(self, _Tlv tlv, name)
    @cython.locals(children=list, i=Py_ssize_t, c=_Tlv)
    cpdef list _generic_children(self, _Tlv tlv)


cpdef _Tables _tables(s)
@cython.locals(m=_Matcher)
cpdef _Matcher _matcher(Walker w, _Tables t)

@cython.locals(tlv=_Tlv, child=_Plan)
cpdef Py_ssize_t _emit(Walker w, _Tables t, _Plan plan) except -1

@cython.locals(tlv=_Tlv, n=Py_ssize_t, hints=dict, known=tuple, kind=int)
cpdef _emit_value(Walker w, _Tables t, _Plan plan)

cpdef str _number_text(value)
cpdef str _integer_text(bytes raw)
@cython.locals(text=str)
cpdef str _string_text(str decode, bytes raw)

@cython.locals(begin=Py_ssize_t, i=Py_ssize_t, b=int, short=bint, value=Py_ssize_t)
cpdef str _oid_text(raw, bint relative=*)

cpdef str _named_bits_text(_Tables t, dict names, bytes raw, int unused)

cdef dict _TIME_TEXTS
@cython.locals(key=tuple, text=str)
cpdef str _time_text(bint utc, bytes raw)

@cython.locals(t=_Tables, matcher=_Matcher, item=_Item, plan=_Plan, tlvs=list, plans=list)
cpdef decode_asn1(Walker w, ctx)
@cython.locals(t=_Tables, matcher=_Matcher, item=_Item, plan=_Plan, tlv=_Tlv)
cpdef decode_der(Walker w, name, type_name=*, notes=*, specs=*)
