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
