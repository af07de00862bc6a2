# Cython declarations for the compiled twin of layout.py (gbcs/backend.py COMPILED): the ops
# are extension types with C fields, op codes are C ints, and the interpreter's functions
# are C functions, so running a program costs Walker calls and little else.
cimport cython
from gbcs.wire._walker_c cimport Walker
from gbcs.wire.timefmt cimport utc2000_meaning

cdef int OP_UINT, OP_UINT_LE, OP_SINT, OP_UTC2000, OP_UTC2000_LE, OP_OCTSTR, OP_CHARSTR, OP_BYTES
cdef int OP_REST, OP_DAY_MINUTES, OP_ZCL_DATE, OP_DLMS_DATETIME, OP_STRUCT, OP_REPEAT
cdef int OP_REPEAT_TO_END, OP_IF_REMAINING, OP_WHEN, OP_WHEN_EQ, OP_WHEN_NE, OP_ZCL_VALUE, OP_BER_LENGTH
cdef int SHOW_DEFAULT, SHOW_HEX, SHOW_BITS, SHOW_DLMS_DATETIME
cdef int FAST_NONE, FAST_UINT, FAST_EXPECT, FAST_BYTES, FAST_STRUCT


@cython.final
cdef class Scope:
    cdef public dict values
    cdef public object parent
    @cython.locals(s=Scope)
    cpdef object get(self, str name, object default=*)
    @cython.locals(s=Scope)
    cpdef bint has(self, str name)


@cython.final
cdef class _Op:
    cdef public int fast, code, size, count, ref_up, if_up, show
    cdef public bint signed, little, unknown_code, annotated
    cdef public object mask, if_mask
    cdef public object name, type, where, ref, if_ref, block, struct, allowed
    cdef public dict choices
    cdef public dict meanings
    cdef public object what, bits, members, title
    cdef public dict template, texts
    cdef public bint kept
    cdef public list item_names


cdef Scope _scope(dict values, object parent)
cdef Py_ssize_t MAX_STRUCT_DEPTH, MAX_REMEMBERED_TEXTS

cpdef str zcl_date_meaning(year, month, day, day_of_week)
cpdef object day_minutes_meaning(minutes)
cpdef object octets_meaning(raw, bint text=*)
cpdef str bits_text(value, bits)


@cython.final
cdef class Program:
    cdef public object name
    cdef public list ops
    cdef public dict template
    cpdef dict walk(self, Walker w, dict hooks=*)
    cpdef dict walk_group(self, Walker w, object name=*, object meaning=*, dict hooks=*)
    @cython.locals(keep=bint)
    cpdef read(self, Walker w, object name=*, object meaning=*, dict hooks=*)


@cython.locals(op=_Op, fast=cython.int, fields=dict, text=object, n=object, hook=object, table=dict)
cdef object _walk(Walker w, list ops, dict values, Scope outer, dict hooks, int depth, bint keep)
@cython.locals(s=Scope)
cdef object _ref(Walker w, _Op op, dict values, Scope outer, object ref, int up)
@cython.locals(table=dict)
cdef object _meaning(Walker w, _Op op, object value, dict values, Scope outer, object hook)
cdef dict _block(Walker w, _Op op, object name, dict values, Scope outer, dict hooks, int depth, bint keep)
@cython.locals(code=cython.int, choice=_Op, node=object, fields=dict, items=list)
cdef object _one(Walker w, _Op op, object name, dict values, Scope outer, dict hooks, object hook, int depth,
                 bint keep)
@cython.locals(names=list)
cdef object _item_name(_Op op, object name, Py_ssize_t i)
