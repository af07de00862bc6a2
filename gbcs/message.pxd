# Cython declarations for the compiled twin of message.py (gbcs/backend.py): a Node is an
# extension type there, so the views the walker hands out cost little.
cimport cython


@cython.final
cdef class Node:
    cdef public object _tape, _name, _start, _end, _codec, _value, _meaning, _children
    cdef public Py_ssize_t _row


@cython.locals(node=Node)
cpdef Node tape_view(object tape, Py_ssize_t row)


@cython.final
cdef class Children:
    cdef public object _tape, _rows
    cdef public Py_ssize_t _row
