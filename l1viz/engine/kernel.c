/* One training evaluation of the ReLU cell for models [k0, k1) of K, all on the same batch.
 *
 * The same arithmetic as the torch path in cell.py, operation for operation, so both give the
 * same bits: an FMA where torch uses addcmul, a pairwise sum over the batch (i with i + half).
 * Models are processed in tiles of LANES, one model per vector lane: every lane runs the same
 * IEEE operations, so a model's result depends neither on K nor on its position.
 *
 * Parameters are rows of K floats. Fixed transforms pass f(x) = |x| (T*B, time-major) as feat_a
 * and feat_b = NULL; the learned transform passes relu(x), relu(-x) and the slopes, and
 * f(x) = s+ relu(x) + s- relu(-x). Output rows of `sums` (each K wide): w_hh, w_ih, [bias],
 * [slope+, slope-]. Returns 0, or -1 when scratch memory cannot be allocated.
 */
#include "kernel.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

/* One model per lane; the widest vectors the target has. */
#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif
#define MAX_ROWS 5

typedef float vf __attribute__((vector_size(LANES * sizeof(float))));
typedef int vi __attribute__((vector_size(LANES * sizeof(int))));

/* a * b + c with one rounding, as torch.addcmul computes it. */
static inline vf fma_v(vf a, vf b, vf c)
{
#if defined(__AVX512F__)
    return (vf)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__AVX__) && defined(__FMA__)
    return (vf)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#elif defined(__FMA__)
    return (vf)_mm_fmadd_ps((__m128)a, (__m128)b, (__m128)c);
#else
    vf r;
    for (int l = 0; l < LANES; l++)
        r[l] = fmaf(a[l], b[l], c[l]);
    return r;
#endif
}

/* where(mask, 0, value), keeping value's bits (NaN stays NaN) where mask is false. */
static inline vf zero_where(vi mask, vf value)
{
    return (vf)((vi)value & ~mask);
}

static inline vf splat(float x)
{
    vf lanes;
    for (int l = 0; l < LANES; l++)
        lanes[l] = x;
    return lanes;
}

static vf load(const float *row, long k, long n)
{
    vf lanes = {0};
    for (long l = 0; row && l < n; l++)
        lanes[l] = row[k + l];
    return lanes;
}

/* Pairwise sum of `padded` vectors in place; the result ends in rows[0]. */
static void pairwise_sum(vf *rows, long padded)
{
    for (long half = padded / 2; half >= 1; half /= 2)
        for (long i = 0; i < half; i++)
            rows[i] = rows[i] + rows[i + half];
}

int l1viz_evaluate(long k0, long k1, long K, long T, long B,
                   const float *feat_a, const float *feat_b, const float *target,
                   const float *w_hh, const float *w_ih, const float *bias,
                   const float *slope_pos, const float *slope_neg,
                   float *loss, float *active, float *sums)
{
    long padded = 1;
    while (padded < B)
        padded *= 2;
    const int learned = feat_b != NULL;
    const int rows = 2 + (bias != NULL) + 2 * learned;
    vf *h = aligned_alloc(sizeof(vf), sizeof(vf) * (size_t)(T + 1) * B);
    vf *grad = aligned_alloc(sizeof(vf), sizeof(vf) * (size_t)B);
    vf *acc = aligned_alloc(sizeof(vf), sizeof(vf) * (size_t)MAX_ROWS * padded);
    if (!h || !grad || !acc) {
        free(h), free(grad), free(acc);
        return -1;
    }
    const float grad_scale = (float)(2.0 / (double)B);
    const vf zero = {0};

    for (long k = k0; k < k1; k += LANES) {
        const long n = k1 - k < LANES ? k1 - k : LANES;
        const vf w = load(w_hh, k, n), wi = load(w_ih, k, n), b = load(bias, k, n);
        const vf sp = load(slope_pos, k, n), sn = load(slope_neg, k, n);

        /* forward: h_{t+1} = relu(fma(w_hh, h_t, w_ih f(x_t) + b)) */
        vi fired = {0};
        for (long j = 0; j < B; j++)
            h[j] = zero;
        for (long i = 0; i < T * B; i++) {
            const vf f = learned ? sp * feat_a[i] + sn * feat_b[i] : splat(feat_a[i]);
            const vf drive = bias ? fma_v(wi, f, b) : wi * f;
            const vf z = fma_v(w, h[i], drive);
            h[i + B] = zero_where(z < 0.0f, z);
            fired -= z > 0.0f;
        }

        const vf *last = h + T * B;
        for (long j = 0; j < padded; j++)
            acc[j] = zero;
        for (long j = 0; j < B; j++) {
            const vf error = last[j] - target[j];
            acc[j] = error * error;
            grad[j] = error * grad_scale;
        }
        pairwise_sum(acc, padded);
        for (long l = 0; l < n; l++) {
            loss[k + l] = acc[0][l] / (float)B;
            active[k + l] = (float)fired[l] / (float)(T * B);
        }

        /* backward: dz = [h_{t+1} > 0] g; accumulate dz * (h_t, f, 1, relu(x), relu(-x)) */
        for (long j = 0; j < rows * padded; j++)
            acc[j] = zero;
        vf *acc_hh = acc, *acc_ih = acc + padded, *acc_b = acc + 2 * padded;
        vf *acc_pos = acc + (rows - 2) * padded, *acc_neg = acc + (rows - 1) * padded;
        for (long t = T - 1; t >= 0; t--)
            for (long j = 0; j < B; j++) {
                const long i = t * B + j;
                const vf dz = zero_where(h[i + B] <= 0.0f, grad[j]);
                acc_hh[j] = fma_v(dz, h[i], acc_hh[j]);
                if (learned) {
                    acc_ih[j] = fma_v(dz, sp * feat_a[i] + sn * feat_b[i], acc_ih[j]);
                    acc_pos[j] = fma_v(dz, splat(feat_a[i]), acc_pos[j]);
                    acc_neg[j] = fma_v(dz, splat(feat_b[i]), acc_neg[j]);
                } else {
                    acc_ih[j] = fma_v(dz, splat(feat_a[i]), acc_ih[j]);
                }
                if (bias)
                    acc_b[j] = acc_b[j] + dz;
                grad[j] = dz * w;
            }
        for (int r = 0; r < rows; r++) {
            pairwise_sum(acc + r * padded, padded);
            for (long l = 0; l < n; l++)
                sums[r * K + k + l] = acc[r * padded][l];
        }
    }
    free(h), free(grad), free(acc);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Training data (data.py defines it and holds the numpy reference this must equal bit for bit):
 * draw i of a run is SplitMix64's i-th output for the seed; step s uses draws s * D .. s * D + D - 1,
 * D = B + ceil(L * B / 2): B lengths, then one draw per pair of N(0, 1) values (Box-Muller in
 * float32 with the polynomials below: only +, -, *, /, sqrt, so numpy can repeat them exactly).
 */
#define DRAW_LANES 16
typedef uint64_t vu8 __attribute__((vector_size(8 * sizeof(uint64_t))));
typedef uint32_t vu16 __attribute__((vector_size(DRAW_LANES * sizeof(uint32_t))));
typedef int32_t vs16 __attribute__((vector_size(DRAW_LANES * sizeof(int32_t))));
typedef float vf16 __attribute__((vector_size(DRAW_LANES * sizeof(float))));
typedef uint32_t vu32x8 __attribute__((vector_size(8 * sizeof(uint32_t))));

#define GOLDEN 0x9E3779B97F4A7C15ULL
#define LN2 ((float)0.6931471805599453)
#define SQRT2 ((float)1.4142135623730951)
#define HALF_PI ((float)1.5707963267948966)
#define C(x) ((float)(x))  /* a double constant rounded to float, as numpy rounds it */

static inline vu8 mix64(vu8 z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* SplitMix64 outputs counter + 1 .. counter + 8. */
static inline vu8 draws(uint64_t seed, uint64_t counter)
{
    const vu8 lane = {1, 2, 3, 4, 5, 6, 7, 8};
    return mix64(seed + (counter + lane) * GOLDEN);
}

static inline vf16 select_f16(vs16 mask, vf16 a, vf16 b)
{
    return (vf16)(((vs16)a & mask) | ((vs16)b & ~mask));
}

static inline vf16 sqrt_f16(vf16 a)
{
#if defined(__AVX512F__)
    return (vf16)_mm512_sqrt_ps((__m512)a);
#else
    vf16 r;
    for (int l = 0; l < DRAW_LANES; l++)
        r[l] = sqrtf(a[l]);
    return r;
#endif
}

/* ln(u) for u in (0, 1): u = m 2^e with m in [sqrt(2)/2, sqrt(2)), ln m = 2 atanh(s) as a
 * polynomial in s = (m - 1) / (m + 1). */
static inline vf16 log_unit(vf16 u)
{
    const vu16 bits = (vu16)u;
    vs16 e = (vs16)(bits >> 23) - 127;
    vf16 m = (vf16)((bits & 0x007FFFFFu) | 0x3F800000u);
    const vs16 big = m > SQRT2;
    m = select_f16(big, m * 0.5f, m);
    e = e - big;
    const vf16 s = (m - 1.0f) / (m + 1.0f), z = s * s;
    const vf16 poly = (((z * C(1.0 / 9.0) + C(1.0 / 7.0)) * z + C(1.0 / 5.0)) * z + C(1.0 / 3.0))
                      * z + 1.0f;
    return __builtin_convertvector(e, vf16) * LN2 + (s * 2.0f) * poly;
}

/* 16 pairs: sqrt(-2 ln u1) (cos, sin)(2 pi u2), u1 and u2 from the draw's two 24-bit halves. */
static inline void normal_pairs(vu8 first, vu8 second, vf16 *x0, vf16 *x1)
{
    const vu32x8 high_a = __builtin_convertvector(first >> 40, vu32x8);
    const vu32x8 high_b = __builtin_convertvector(second >> 40, vu32x8);
    const vu32x8 low_a = __builtin_convertvector((first >> 8) & 0xFFFFFFULL, vu32x8);
    const vu32x8 low_b = __builtin_convertvector((second >> 8) & 0xFFFFFFULL, vu32x8);
    const vu16 high = __builtin_shufflevector(high_a, high_b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                              12, 13, 14, 15);
    const vu16 low = __builtin_shufflevector(low_a, low_b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                             12, 13, 14, 15);
    const vf16 u1 = (__builtin_convertvector((vs16)high, vf16) + 0.5f) * 0x1p-24f;
    const vf16 u2 = (__builtin_convertvector((vs16)low, vf16) + 0.5f) * 0x1p-24f;
    const vf16 root = sqrt_f16(-2.0f * log_unit(u1));

    const vf16 v = u2 * 4.0f;
    const vs16 quarter = __builtin_convertvector(v + 0.5f, vs16);  /* floor: v + 0.5 > 0 */
    const vf16 phi = (v - __builtin_convertvector(quarter, vf16)) * HALF_PI, y = phi * phi;
    const vf16 sin_poly = ((y * C(1.0 / 362880.0) - C(1.0 / 5040.0)) * y + C(1.0 / 120.0)) * y
                          - C(1.0 / 6.0);
    const vf16 sin_phi = phi + (phi * y) * sin_poly;
    const vf16 cos_phi = ((((y * C(1.0 / 40320.0) - C(1.0 / 720.0)) * y + C(1.0 / 24.0)) * y
                           - 0.5f) * y) + 1.0f;
    const vs16 q = quarter & 3;
    const vs16 q0 = q == 0, q1 = q == 1, q2 = q == 2;
    const vf16 cos_t = select_f16(q0, cos_phi,
                                  select_f16(q1, -sin_phi, select_f16(q2, -cos_phi, sin_phi)));
    const vf16 sin_t = select_f16(q0, sin_phi,
                                  select_f16(q1, cos_phi, select_f16(q2, -sin_phi, -cos_phi)));
    *x0 = root * cos_t;
    *x1 = root * sin_t;
}

int l1viz_draw(unsigned long long seed, long batch, long max_length, long first_step,
               long steps, float *x, float *target, int *longest)
{
    const long B = batch, L = max_length, values = L * B, pairs = (values + 1) / 2;
    const uint64_t per_step = (uint64_t)(B + pairs);
    float *drawn = malloc(sizeof(float) * (size_t)(2 * pairs + 2 * DRAW_LANES));
    int32_t *length = malloc(sizeof(int32_t) * (size_t)(B + 8));
    if (!drawn || !length) {
        free(drawn), free(length);
        return -1;
    }
    for (long i = 0; i < steps; i++) {
        const uint64_t base = (uint64_t)(first_step + i) * per_step;
        for (long b = 0; b < B; b += 8) {
            const vu8 size = ((draws(seed, base + (uint64_t)b) >> 32) * (uint64_t)L) >> 32;
            for (int l = 0; l < 8; l++)
                length[b + l] = 1 + (int32_t)size[l];
        }
        int most = 0;
        for (long b = 0; b < B; b++)
            most = length[b] > most ? length[b] : most;
        longest[i] = most;
        for (long j = 0; j < pairs; j += DRAW_LANES) {
            const uint64_t counter = base + (uint64_t)(B + j);
            vf16 x0, x1;
            normal_pairs(draws(seed, counter), draws(seed, counter + 8), &x0, &x1);
            const vf16 even = __builtin_shufflevector(x0, x1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20,
                                                      5, 21, 6, 22, 7, 23);
            const vf16 odd = __builtin_shufflevector(x0, x1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28,
                                                     13, 29, 14, 30, 15, 31);
            memcpy(drawn + 2 * j, &even, sizeof even);
            memcpy(drawn + 2 * j + DRAW_LANES, &odd, sizeof odd);
        }
        float *out = x + i * values, *sum = target + i * B;
        long b = 0;
        for (; b + DRAW_LANES <= B; b += DRAW_LANES) {
            vs16 size;
            memcpy(&size, length + b, sizeof size);
            vf16 total = {0};
            for (long t = 0; t < L; t++) {
                vf16 value;
                memcpy(&value, drawn + t * B + b, sizeof value);
                value = (vf16)((vs16)value & ((int32_t)t < size));
                memcpy(out + t * B + b, &value, sizeof value);
                total = total + (vf16)((vs16)value & 0x7FFFFFFF);
            }
            memcpy(sum + b, &total, sizeof total);
        }
        for (; b < B; b++) {
            float total = 0.0f;
            for (long t = 0; t < L; t++) {
                const float value = t < length[b] ? drawn[t * B + b] : 0.0f;
                out[t * B + b] = value;
                total = total + fabsf(value);
            }
            sum[b] = total;
        }
    }
    free(drawn), free(length);
    return 0;
}
