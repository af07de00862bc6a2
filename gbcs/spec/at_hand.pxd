# Cython declarations for the compiled twin of at_hand.py (gbcs/backend.py).
cimport cython


@cython.final
cdef class AtHand:
    cdef public object factory
    cdef public tuple last
    @cython.locals(last=tuple)
    cpdef object of(self, object specs)
