# Cython declarations for gbcs.wire._walker_c, the compiled twin of walker.py (setup.py):
# the read position, frame end and node budget are C integers; the node stack a typed list.
cimport cython


@cython.final
cdef class Walker:
    cdef public object data, last
    cdef public Py_ssize_t pos, end, budget
    cdef public list stack
