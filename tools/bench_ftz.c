/* bench_ftz.c: one function, for tools/bench_torch.py (through ctypes): flush-to-zero and
 * denormals-are-zero in the MXCSR of the calling thread. Called before `import torch`, so that the
 * threads torch and OpenBLAS start afterwards inherit it. Built by `make bench` as build/bench_ftz.so. */
#include <immintrin.h>

void bench_set_ftz_daz(void);

void bench_set_ftz_daz(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
