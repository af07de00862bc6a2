# Cython declarations for gbcs.wire._walker_c, the compiled twin of walker.py (setup.py):
# the node budget is a C integer, the node stack a typed list,
# and the per-field steps C-level methods (still callable from Python under the same names).
cimport cython


@cython.final
cdef class Walker:
    cdef public object data, last, pos, end     # Python ints: shared by the nodes, not made per read
    cdef public Py_ssize_t budget
    cdef public list stack

    cpdef spend(self, count=*, name=*)
    cpdef begin(self, name)
    cpdef finish(self)
    cpdef leaf(self, name, start, codec, value, meaning=*)
    cpdef need(self, n, name)
    cpdef uint(self, name, size, meaning=*)
