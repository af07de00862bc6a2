# Cython declarations for the compiled twin of timefmt.py (gbcs/backend.py): the calendar
# arithmetic of utc2000_meaning on C integers.
cimport cython

cdef long long DAYS_0000_03_01_TO_2000


@cython.locals(days="long long", rest="long long", era="long long", day_of_era="long long",
               year_of_era="long long", day_of_year="long long", shifted_month="long long",
               day="long long", month="long long", year="long long", hour="long long",
               minute="long long", second="long long")
cpdef str utc2000_meaning(long long seconds)
