/* rng.c: Philox4x32-10 and the keyed draws built on it. See rng.h. */
#include "base/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t *hi)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

void philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = mulhilo(PHILOX_M0, c0, &hi0);
        uint32_t lo1 = mulhilo(PHILOX_M1, c2, &hi1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

static void draw_block(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t block,
                       uint32_t out[4])
{
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32) ^ ((uint32_t)domain << 24), stream, sub};
    philox4x32(ctr, key, out);
}

static inline float to_unit(uint32_t u) { return (float)(u >> 8) * (1.0f / 16777216.0f); }

void rng_uniform4(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t block,
                  float out[4])
{
    uint32_t r[4];
    draw_block(seed, domain, stream, sub, block, r);
    for (int k = 0; k < 4; k++)
        out[k] = to_unit(r[k]);
}

#if defined(__AVX512F__)
#include <immintrin.h>

/* hi and lo words of a * m for 16 lanes at once */
static inline __m512i mulhi16(__m512i a, __m512i m)
{
    __m512i even = _mm512_srli_epi64(_mm512_mul_epu32(a, m), 32);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    return _mm512_mask_blend_epi32(0xAAAA, even, odd);
}

/* Sixteen consecutive blocks from `block`, as 64 words in block order. */
static void draw_16_blocks(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub,
                           uint64_t block, uint32_t out[64])
{
    uint32_t lo[16], hi[16];
    for (int j = 0; j < 16; j++) {
        lo[j] = (uint32_t)(block + j);
        hi[j] = (uint32_t)((block + j) >> 32) ^ ((uint32_t)domain << 24);
    }
    __m512i c0 = _mm512_loadu_si512(lo), c1 = _mm512_loadu_si512(hi);
    __m512i c2 = _mm512_set1_epi32((int)stream), c3 = _mm512_set1_epi32((int)sub);
    __m512i m0 = _mm512_set1_epi32((int)PHILOX_M0), m1 = _mm512_set1_epi32((int)PHILOX_M1);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        __m512i hi0 = mulhi16(c0, m0), lo0 = _mm512_mullo_epi32(c0, m0);
        __m512i hi1 = mulhi16(c2, m1), lo1 = _mm512_mullo_epi32(c2, m1);
        c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32((int)k0));
        c1 = lo1;
        c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    /* 4 x 16 words to block order: within 128-bit lanes, then the lanes */
    __m512i ab_lo = _mm512_unpacklo_epi32(c0, c1), ab_hi = _mm512_unpackhi_epi32(c0, c1);
    __m512i cd_lo = _mm512_unpacklo_epi32(c2, c3), cd_hi = _mm512_unpackhi_epi32(c2, c3);
    __m512i r0 = _mm512_unpacklo_epi64(ab_lo, cd_lo), r1 = _mm512_unpackhi_epi64(ab_lo, cd_lo);
    __m512i r2 = _mm512_unpacklo_epi64(ab_hi, cd_hi), r3 = _mm512_unpackhi_epi64(ab_hi, cd_hi);
    __m512i t0 = _mm512_shuffle_i32x4(r0, r1, 0x44), t1 = _mm512_shuffle_i32x4(r2, r3, 0x44);
    __m512i t2 = _mm512_shuffle_i32x4(r0, r1, 0xEE), t3 = _mm512_shuffle_i32x4(r2, r3, 0xEE);
    _mm512_storeu_si512(out, _mm512_shuffle_i32x4(t0, t1, 0x88));
    _mm512_storeu_si512(out + 16, _mm512_shuffle_i32x4(t0, t1, 0xDD));
    _mm512_storeu_si512(out + 32, _mm512_shuffle_i32x4(t2, t3, 0x88));
    _mm512_storeu_si512(out + 48, _mm512_shuffle_i32x4(t2, t3, 0xDD));
}
#endif

void rng_words(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t block,
               uint32_t *out, size_t n)
{
    size_t i = 0;
#if defined(__AVX512F__)
    for (; i + 64 <= n; i += 64)
        draw_16_blocks(seed, domain, stream, sub, block + i / 4, out + i);
#endif
    for (; i < n; i += 4) {
        uint32_t r[4];
        draw_block(seed, domain, stream, sub, block + i / 4, r);
        for (size_t k = 0; k < 4 && i + k < n; k++)
            out[i + k] = r[k];
    }
}

float rng_uniform_at(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t i)
{
    uint32_t r[4];
    draw_block(seed, domain, stream, sub, i / 4, r);
    return to_unit(r[i % 4]);
}

double rng_normal_at(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t i)
{
    uint32_t r[4];
    draw_block(seed, domain, stream, sub, i, r);
    /* 53-bit uniforms from two words each; u1 in (0, 1] keeps the log finite. */
    double u1 = ((double)(((uint64_t)r[0] << 21) ^ (r[1] >> 11)) + 1.0) / 9007199254740992.0;
    double u2 = (double)(((uint64_t)r[2] << 21) ^ (r[3] >> 11)) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t rng_u64_at(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t i)
{
    uint32_t r[4];
    draw_block(seed, domain, stream, sub, i, r);
    return ((uint64_t)r[0] << 32) | r[1];
}
