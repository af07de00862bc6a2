# Cython declarations for the compiled twin of decoding.py (gbcs/backend.py COMPILED): the
# envelope facts are an extension type with C fields and typed struct programs, and the
# envelope steps C-level functions taking the compiled walker, so walking a header costs
# C calls into the layout interpreter and the walker.
cimport cython
from gbcs.wire._walker_c cimport Walker as _CWalker
from gbcs.wire.layout cimport Program


@cython.final
cdef class _Envelope:
    cdef public object specs
    cdef public Program mac_header_layout, security_header_layout, grouping_header_layout
    cdef public Program other_information_code_layout, other_information_srp_id_layout
    cdef public Program other_information_srp_counter_layout, other_information_soc_layout
    cdef public Program content_length_layout, signature_layout, mac_layout
    cdef public Program gbt_routing_header_layout, gbt_routing_tail_layout, gbt_header_layout
    cdef public dict tags, cra, cra_codes, other_info_forms, gbt_bits, code_hooks, gbt_hooks
    cdef public dict code_names
    cdef public list gbt_bit_titles
    cdef public Py_ssize_t transaction_id, security_header, mac, message_code_size, srp_id_size
    cdef public Py_ssize_t srp_counter_size, soc_size, certificate_tag, gbt_window_mask


@cython.final
cdef class _Info:
    cdef public object payloads, cra, counter, originator, recipient, date_time, message_code
    cdef public object family, notes, signature, mac, srp_id, srp_counter, soc
    cdef public Py_ssize_t content_length_at, content_start, content_end
    cpdef dict extras(self)


cdef object _ABSENT
cpdef _Envelope _envelope(s)
cpdef bint _starts_gbt(bytes data, _Envelope env) except -1
@cython.locals(length_at=Py_ssize_t, outer=Py_ssize_t)
cpdef Py_ssize_t _mac_header(_CWalker w, _Envelope env) except? -1
cpdef tuple _routing(dict values)
@cython.locals(length_at=Py_ssize_t, outer=Py_ssize_t)
cpdef tuple _other_information_start(_CWalker w, _Envelope env, dict hooks)
@cython.locals(length_at=Py_ssize_t, outer=Py_ssize_t)
cpdef _other_information(_CWalker w, _Envelope env, _Info info)
cpdef _grouping_header(_CWalker w, _Envelope env, _Info info)
@cython.locals(outer=Py_ssize_t)
cpdef _signing_apdu(_CWalker w, _Envelope env, _Info info, bint in_mac)
cpdef str _message_kind(_Info info, bint mac, _Envelope env)
@cython.locals(env=_Envelope, w=_CWalker, outer=Py_ssize_t, inner_outer=Py_ssize_t)
cpdef _decode_plain(bytes data, s, bint payloads=*)
@cython.locals(outer=Py_ssize_t, length_at=Py_ssize_t, data_at=Py_ssize_t)
cpdef dict _gbt_block(_CWalker w, _Envelope env, Py_ssize_t index)
