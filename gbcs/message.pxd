# Cython declarations for the compiled twin of message.py (gbcs/backend.py): a Node is an
# extension type there, with a free list, so the many small nodes of a tree cost less to make.
cimport cython


@cython.final
@cython.freelist(1024)
cdef class Node:
    cdef public object name, start, end, codec, value, meaning, children
