# Cython declarations for the compiled twin of facts.py (gbcs/backend.py): the tape's columns as
# typed memoryviews for the one pass of scan_tree.
cimport cython


@cython.locals(row=Py_ssize_t, cid=Py_ssize_t, start=Py_ssize_t, used=Py_ssize_t, certificate=bint, rows=list)
cpdef tuple _scan_rows(const unsigned char[::1] codecs, const unsigned short[::1] names, const int[::1] indexes,
                       const int[::1] starts, const int[::1] ends, const unsigned char[::1] kinds, bytes data,
                       Py_ssize_t top, Py_ssize_t stop, Py_ssize_t ber_cid, Py_ssize_t tbs_nid, int berlen_kind)
