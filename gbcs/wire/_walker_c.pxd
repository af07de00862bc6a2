# Cython declarations for gbcs.wire._walker_c, the compiled twin of walker.py (setup.py):
# the read position, frame end and node budget are C integers, the node stack a typed list,
# and the per-field steps C-level methods (still callable from Python under the same names).
cimport cython


@cython.final
cdef class Walker:
    cdef public object data, last
    cdef public Py_ssize_t pos, end, budget
    cdef public list stack

    cpdef spend(self, count=*, name=*)
    cpdef begin(self, name)
    cpdef finish(self)
    cpdef leaf(self, name, start, codec, value, meaning=*)
    cpdef need(self, n, name)
    cpdef uint(self, name, size, meaning=*)
