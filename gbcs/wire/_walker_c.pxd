# Cython declarations for gbcs.wire._walker_c, the compiled twin of walker.py (setup.py):
# the tape's rows are C integer arrays reached through typed memoryviews, the input a
# const unsigned char view, positions and budget C integers, and the per-field steps
# C-level methods (still callable from Python under the same names).
cimport cython

cdef bint COMPILED
cdef list _SHARED_NAMES
cdef dict _SHARED_NAME_IDS
cdef dict _SHARED_INDEXED
cdef list _SHARED_CODECS
cdef dict _SHARED_CODEC_IDS
cdef list _SHARED_NAME_SLOTS, _SHARED_CODEC_SLOTS
cdef Py_ssize_t LOOKUP_SLOTS, _LOOKUP_MASK, INT_KINDS, INT_SIZES, BER_LEN_CODEC, BYTES_CODEC, _CODEC_ID_SLOTS
cdef list _SHARED_INT_CODEC_IDS
cdef Py_ssize_t SPARE_ROWS_MAX, SPARE_ROWS_MIN, SPARE_TAPES, SPARE_DATA_MAX
cdef object _SPARE_TAPES, _refcount
cdef Py_ssize_t INDEXED_CACHE, INDEXED_CACHE_SIZE, INITIAL_ROWS_MAX, GROW_DOUBLING_UP_TO, SHARED_MEANINGS_FROM

cpdef str _uint_codec(Py_ssize_t size, bint little)
cdef Py_ssize_t _length(object n) except? -1
cdef bytes _cut(const char* data, Py_ssize_t start, Py_ssize_t stop)
@cython.locals(size=Py_ssize_t, k=Py_ssize_t, digits=Py_ssize_t)
cpdef Py_ssize_t _index_cut(str text) except -2


@cython.locals(new=Py_ssize_t)
cpdef Py_ssize_t _table_id(list items, dict ids, key, Py_ssize_t limit, str what) except -1


@cython.final
cdef class Tape:
    cdef public bytes data
    cdef public Py_ssize_t n, cap, cur
    cdef public list names, codecs, meanings, name_slots, codec_slots, int_codec_ids
    cdef public dict name_ids, codec_ids, meaning_ids, stored
    cdef Py_ssize_t _index
    cdef Py_ssize_t _held
    cdef public object a_name, a_index, a_start, a_end, a_after, a_meaning, a_codec, a_vkind
    cdef unsigned short[::1] v_name
    cdef unsigned int[::1] v_meaning
    cdef int[::1] v_index
    cdef int[::1] v_start
    cdef int[::1] v_end
    cdef int[::1] v_after
    cdef unsigned char[::1] v_codec
    cdef unsigned char[::1] v_vkind

    cpdef _start(self, bytes data)
    cpdef Py_ssize_t _holders(self) except -1
    cpdef _bind(self)
    cpdef _release(self)
    cpdef _grow(self)
    @cython.locals(cut=Py_ssize_t)
    cpdef Py_ssize_t _intern_name(self, name) except -1
    cpdef Py_ssize_t _new_name(self, name) except -1
    cpdef Py_ssize_t codec_id(self, codec) except -1
    @cython.locals(k=Py_ssize_t, cid=Py_ssize_t)
    cpdef Py_ssize_t int_codec_id(self, int kind, Py_ssize_t size) except -1
    @cython.locals(cid=Py_ssize_t)
    cpdef Py_ssize_t fixed_codec_id(self, Py_ssize_t slot, str codec) except -1
    @cython.locals(mid=Py_ssize_t)
    cpdef Py_ssize_t meaning_id(self, meaning) except -1
    @cython.locals(i=Py_ssize_t, slot=Py_ssize_t, entry=tuple, packed=cython.longlong)
    cpdef Py_ssize_t add(self, name, Py_ssize_t start, Py_ssize_t end, Py_ssize_t codec, int vkind,
                         meaning) except -1
    @cython.locals(i=Py_ssize_t)
    cpdef Py_ssize_t open(self, name, Py_ssize_t pos, meaning=*) except -1
    @cython.locals(i=Py_ssize_t)
    cpdef Py_ssize_t close(self, Py_ssize_t pos) except -1
    @cython.locals(a=Py_ssize_t)
    cpdef Py_ssize_t after(self, Py_ssize_t i) except -1
    @cython.locals(index=Py_ssize_t)
    cpdef name(self, Py_ssize_t i)
    cpdef start(self, Py_ssize_t i)
    cpdef end(self, Py_ssize_t i)
    cpdef codec(self, Py_ssize_t i)
    cpdef bint is_group(self, Py_ssize_t i) except -1
    cpdef meaning(self, Py_ssize_t i)
    cpdef set_meaning(self, Py_ssize_t i, meaning)
    @cython.locals(kind=int, s=Py_ssize_t, e=Py_ssize_t)
    cpdef value(self, Py_ssize_t i)
    cpdef bint is_closed(self, Py_ssize_t i) except -1
    @cython.locals(j=Py_ssize_t, stop=Py_ssize_t)
    cpdef child_rows(self, Py_ssize_t i)
    cpdef Py_ssize_t first_child(self, Py_ssize_t i) except -2
    @cython.locals(j=Py_ssize_t, stop=Py_ssize_t, nid=Py_ssize_t, index=Py_ssize_t, cut=Py_ssize_t)
    cpdef Py_ssize_t child_named(self, Py_ssize_t i, name) except -2
    @cython.locals(j=Py_ssize_t, stop=Py_ssize_t, total=Py_ssize_t)
    cpdef Py_ssize_t span_of_codec(self, Py_ssize_t i, codec) except -1
    @cython.locals(j=Py_ssize_t, stop=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t, index=Py_ssize_t,
                   group=bint, kind=int, names=list, data=bytes, top=dict, lists=list, ends=list, out=dict)
    cpdef dict to_dict(self, Py_ssize_t i)


@cython.locals(tape=Tape)
cpdef Tape _reusable_tape(bytes data, Py_ssize_t rows)


@cython.final
cdef class Walker:
    cdef public bytes data
    cdef const unsigned char[::1] buf
    cdef public Py_ssize_t pos, end, budget, last_row
    cdef public Tape tape

    cpdef spend(self, count=*, name=*)
    cpdef begin(self, name)
    cpdef finish(self)
    @cython.locals(tape=Tape, i=Py_ssize_t)
    cpdef Py_ssize_t open_group(self, name) except -1
    cpdef Py_ssize_t close_group(self) except -1
    cpdef set_last_meaning(self, meaning)
    cpdef set_meaning(self, Py_ssize_t row, meaning)
    @cython.locals(tape=Tape, slot=Py_ssize_t, entry=tuple)
    cpdef _leaf(self, name, Py_ssize_t start, codec, int vkind, meaning)
    cpdef _leaf_id(self, name, Py_ssize_t start, Py_ssize_t cid, int vkind, meaning)
    cpdef leaf(self, name, start, codec, value, meaning=*)
    cpdef need(self, n, name)
    cdef _int(self, Py_ssize_t start, Py_ssize_t size, bint little)
    @cython.locals(acc=cython.ulonglong, k=Py_ssize_t)
    cdef unsigned long long _acc(self, Py_ssize_t start, Py_ssize_t size, bint little) except? 0
    @cython.locals(start=Py_ssize_t, n=Py_ssize_t, tape=Tape, cid=Py_ssize_t)
    cpdef uint(self, name, Py_ssize_t size, meaning=*)
    @cython.locals(start=Py_ssize_t, n=Py_ssize_t)
    cpdef uint_le(self, name, Py_ssize_t size, meaning=*)
    @cython.locals(start=Py_ssize_t)
    cpdef sint(self, name, Py_ssize_t size, bint little=*, meaning=*)
    @cython.locals(acc=cython.ulonglong, one=cython.ulonglong, top=cython.ulonglong,
                   magnitude=cython.longlong)
    cdef _sint(self, Py_ssize_t start, Py_ssize_t size, bint little)
    @cython.locals(start=Py_ssize_t, size=Py_ssize_t)
    cpdef bytes(self, name, n, meaning=*, codec=*)
    cpdef rest(self, name, codec=*, meaning=*)
    @cython.locals(start=Py_ssize_t, first=int, n=Py_ssize_t)
    cpdef ber_length(self, name)
    @cython.locals(start=Py_ssize_t)
    cpdef expect(self, name, Py_ssize_t size, allowed, what, meaning=*, bint unknown_code=*)
    @cython.locals(i=Py_ssize_t)
    cpdef str path(self, name=*)
    cpdef Py_ssize_t push_limit(self, length, name, length_at=*) except? -1
    cpdef pop_limit(self, Py_ssize_t outer, name)
    @cython.locals(p=Py_ssize_t)
    cpdef peek(self, Py_ssize_t offset=*)
