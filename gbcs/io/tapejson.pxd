# Cython declarations for the compiled twin of tapejson.py (gbcs/backend.py): the tape's columns
# as typed memoryviews (the compiled walker's arrays), rows and offsets as C integers.
cimport cython

cdef object _string
cdef int _BYTES, _UBE, _ULE, _BERLEN
cdef Py_ssize_t _MEANINGS_KEPT
cdef dict _MEANING_TEXTS

cpdef str _meaning_text(meaning)
cdef list _NAME_TEXTS, _CODEC_TEXTS

cpdef list _texts(list cache, list table, bint unclosed)
cdef str _CODEC_KEY, _VALUE_KEY, _MEANING_KEY, _CHILDREN, _NO_CHILDREN


@cython.final
cdef class TapeJson:
    cdef object tape
    cdef bytes data
    cdef str hexdata
    cdef list names, meanings, name_open, codec_text, close_at
    cdef const unsigned short[::1] a_name
    cdef const int[::1] a_index
    cdef const int[::1] a_start
    cdef const int[::1] a_end
    cdef const int[::1] a_after
    cdef const unsigned int[::1] a_meaning
    cdef const unsigned char[::1] a_codec
    cdef const unsigned char[::1] a_vkind
    cdef Py_ssize_t n, top, row, stop
    cdef str closing_top
    cdef bint first

    @cython.locals(pieces=list, close_at=list, data=bytes, size=Py_ssize_t, last=Py_ssize_t, j=Py_ssize_t,
                   nid=Py_ssize_t, index=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t, cid=Py_ssize_t,
                   kind=int, number=cython.longlong, k=Py_ssize_t, mid=Py_ssize_t, after=Py_ssize_t, name=str, codec=str, value=str,
                   comma=str, closing=str, suffix=str, codec_key=str, value_key=str, quote=str, meaning_key=str,
                   meaning=str, children=str)
    cpdef str piece(self, Py_ssize_t rows)
