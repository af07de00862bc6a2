# Cython declarations for the compiled twin of gbz.py (gbcs/backend.py COMPILED): the zigbee
# facts are an extension type with typed struct programs, each ZCL command's decoding needs an
# extension type found by one int-keyed look-up, and the GBZ steps C functions taking the
# compiled walker.
cimport cython
from gbcs.wire._walker_c cimport Walker as _CWalker
from gbcs.wire.layout cimport Program

cdef Py_ssize_t MAX_REMEMBERED


@cython.final
cdef class _Command:
    cdef public object cluster, command_id, cmd, title, what, encrypted_what
    cdef public Program program
    cdef public dict hooks
    cdef public bint zse


@cython.final
cdef class _Facts:
    cdef public object specs
    cdef public dict profiles, bits, bit_titles, fc_bits, fc_bit_titles, frame_types, frame_type_codes
    cdef public dict directions, direction_titles, security_controls, cluster_titles, cluster_codes
    cdef public dict commands, attributes, data_types, alert_bodies, alert_titles
    cdef public dict zcl_header_hooks, zcl_payload_hooks, frame_control_texts, entries
    cdef public object security_header_size, tag_size, alert_cra, frame_type_mask, fc_reserved
    cdef public object from_date_time_bit, encrypted_bit
    cdef public Program header, alert_header, component_header, from_date_time, additional_header
    cdef public Program zcl_header, ciphered_length, security_header
    cdef public tuple bit_pairs, component_names
    @cython.locals(e=_Command, c=cython.long, fc=cython.long, cid=cython.long, key=cython.long)
    cpdef _Command entry(self, cluster, frame_control, command_id)
    @cython.locals(e=_Command)
    cpdef _Command _entry(self, cluster, frame_control, command_id)
    cpdef command(self, cluster, frame_control, command_id)


cpdef _Facts _facts(s)
cpdef dict _zcl_hooks(_Facts f, cluster, frame_control)
@cython.locals(names=tuple)
cpdef decode_gbz(_CWalker w, ctx)
cpdef _alert(_CWalker w, ctx, _Facts f)
@cython.locals(outer=Py_ssize_t, e=_Command)
cpdef _component(_CWalker w, ctx, _Facts f, name)
@cython.locals(outer=Py_ssize_t, length_at=Py_ssize_t)
cpdef _ciphered(_CWalker w, _Facts f, what)
cpdef decode_zcl_payload(_CWalker w, ctx, cluster, frame_control, command_id)
cpdef _payload(_CWalker w, ctx, _Facts f, _Command e)
