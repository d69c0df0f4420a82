/* Whole chunks of training for models [k0, k1), and the data they train on (kernel.h).
 *
 * Every operation repeats the torch path's arithmetic (cell.py, optim.py, and the rules of
 * outcomes.py as verdicts.py keeps them; docs/science.md pairs each function with its twin), so
 * both give the same bits: an FMA where torch uses addcmul, lerp or add with alpha, a pairwise sum
 * over the batch (i with i + half), the same float32 comparisons, torch's own square roots
 * (square_root.py). Built with -ffp-contract=off: the compiler must not fuse what torch rounds
 * twice.
 *
 * Models are trained in tiles of LANES, one model per vector lane, every lane running the same
 * IEEE operations, so a model's result depends neither on K nor on its position. A tile with few
 * models still running evaluates them one by one with the lanes over the batch instead: the same
 * operations per batch element and the same pairs in the sums, so the same bits.
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
#define MAX_ROWS 13     /* w_hh, w_ih, b_hh, b_ih, in_0..3, out_0..3, alpha */
#define SUM_ROWS 6      /* gradient sums: w_hh, w_ih, bias, slope+, slope-, alpha */
#define WIDTH 4         /* cell.LEARNED_WIDTH */
#define KINDS (L1VIZ_VERDICT_CONVERGED + 1)  /* the verdicts (kernel.h), rows of `first` */

#define C(x) ((float)(x))  /* a double constant rounded to float, as numpy and torch round it */

/* optim.Adam's constants. */
#define BETA1 0.9
#define BETA2 0.999
#define EPSILON 1e-8

typedef float vf __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(LANES * sizeof(int32_t))));
typedef double vd __attribute__((vector_size(LANES * sizeof(double))));

/* a * b + c with one rounding. */
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

static inline vf sqrt_v(vf a)
{
#if defined(__AVX512F__)
    return (vf)_mm512_sqrt_ps((__m512)a);
#elif defined(__AVX__)
    return (vf)_mm256_sqrt_ps((__m256)a);
#else
    vf r;
    for (int l = 0; l < LANES; l++)
        r[l] = sqrtf(a[l]);
    return r;
#endif
}

/* torch's square roots (kernel.h): the given function, else the CPU's. */
static void sqrt_rows(const struct l1viz_rules *rules, const vf *a, vf *r, long rows)
{
    if (rules->sqrt32) {
        const int n = (int)(rows * LANES);
        rules->sqrt32(&n, (const float *)a, (float *)r, &rules->sqrt_mode);
        return;
    }
    for (long i = 0; i < rows; i++)
        r[i] = sqrt_v(a[i]);
}

static vd sqrt_d(const struct l1viz_rules *rules, vd a)
{
    vd r;
    if (rules->sqrt64) {
        const int n = LANES;
        rules->sqrt64(&n, (const double *)&a, (double *)&r, &rules->sqrt_mode);
        return r;
    }
    for (int l = 0; l < LANES; l++)
        r[l] = sqrt(a[l]);
    return r;
}

static inline vf splat(float x)
{
    vf lanes;
    for (int l = 0; l < LANES; l++)
        lanes[l] = x;
    return lanes;
}

static inline vi splat_i(int32_t x)
{
    vi lanes;
    for (int l = 0; l < LANES; l++)
        lanes[l] = x;
    return lanes;
}

/* mask ? a : b, lane by lane (masks are all ones or all zeros). */
static inline vf select_v(vi mask, vf a, vf b)
{
    return (vf)(((vi)a & mask) | ((vi)b & ~mask));
}

static inline vi select_i(vi mask, vi a, vi b)
{
    return (a & mask) | (b & ~mask);
}

/* where(mask, 0, value), keeping value's bits (NaN stays NaN, -0 stays -0) where mask is false. */
static inline vf zero_where(vi mask, vf value)
{
    return (vf)((vi)value & ~mask);
}

/* torch.relu: x < 0 gives 0; NaN and -0 pass through. */
static inline vf relu_v(vf x)
{
#if defined(__AVX512F__)
    /* maxps returns its second operand unless the first is greater: NaN and -0 pass */
    return (vf)_mm512_max_ps(_mm512_setzero_ps(), (__m512)x);
#else
    return zero_where(x < 0.0f, x);
#endif
}

/* count + 1 in the lanes where x > 0. */
static inline vi count_positive(vi count, vf x)
{
#if defined(__AVX512F__)
    const __mmask16 positive = _mm512_cmp_ps_mask((__m512)x, _mm512_setzero_ps(), _CMP_GT_OQ);
    return (vi)_mm512_mask_add_epi32((__m512i)count, positive, (__m512i)count,
                                     _mm512_set1_epi32(1));
#else
    return count - (x > 0.0f);
#endif
}

/* (x - x) != 0: NaN or ±inf (outcomes.not_finite). */
static inline vi not_finite_v(vf x)
{
    return (x - x) != 0.0f;
}

static inline vf abs_v(vf x)
{
    return (vf)((vi)x & splat_i(0x7fffffff));
}

/* ---------------------------------------------------------------------------------------------
 * The activations and their derivatives (activations.py, whose constants and steps these repeat:
 * only +, -, *, / and the exponent's bits, in the same order, so the same bits).
 */
#define ACT_RELU L1VIZ_ACTIVATION_RELU
#define ACT_LEAKY L1VIZ_ACTIVATION_LEAKY_RELU
#define ACT_ELU L1VIZ_ACTIVATION_ELU
#define ACT_SOFTPLUS L1VIZ_ACTIVATION_SOFTPLUS
#define ACT_TANH L1VIZ_ACTIVATION_TANH
#define ACT_PRELU L1VIZ_ACTIVATION_PRELU
#define SLOPED(act) ((act) == ACT_LEAKY || (act) == ACT_PRELU)

#define EXP_FLOOR (-87.0f)
#define ROUNDER 12582912.0f
#define ROUNDER_BITS 0x4B400000
#define INV_LN2 ((float)1.4426950408889634)
#define LN2_HI 0.693145751953125f
#define LN2_LO ((float)(0.6931471805599453 - 0.693145751953125))

/* max(floor, a) as torch's clamp(min=floor): NaN passes. */
static inline __attribute__((always_inline)) vf clamp_min_v(vf a, float floor)
{
#if defined(__AVX512F__)
    return (vf)_mm512_max_ps(_mm512_set1_ps(floor), (__m512)a);  /* the second operand on NaN */
#else
    return select_v(a < floor, splat(floor), a);
#endif
}

/* e^r - 1 and 2^k with a = k ln2 + r (activations._reduced). */
static inline __attribute__((always_inline)) vf reduced(vf a, vf *scale)
{
    a = clamp_min_v(a, EXP_FLOOR);
    const vf shifted = fma_v(a, splat(INV_LN2), splat(ROUNDER));
    const vf k = shifted - ROUNDER;
    const vf r = fma_v(k, splat(-LN2_LO), fma_v(k, splat(-LN2_HI), a));
    *scale = (vf)(((vi)shifted - (ROUNDER_BITS - 127)) << 23);
    vf poly = splat(C(1.0 / 5040.0));
    poly = fma_v(poly, r, splat(C(1.0 / 720.0)));
    poly = fma_v(poly, r, splat(C(1.0 / 120.0)));
    poly = fma_v(poly, r, splat(C(1.0 / 24.0)));
    poly = fma_v(poly, r, splat(C(1.0 / 6.0)));
    poly = fma_v(poly, r, splat(C(1.0 / 2.0)));
    return fma_v(r * r, poly, r);
}

/* log(1 + y) for y in [0, 1]: 2 s (1 + s^2/3 + ... + s^16/17), s = y / (y + 2). */
static inline __attribute__((always_inline)) vf log1p_unit(vf y)
{
    const vf s = y / (y + 2.0f), z = s * s;
    vf poly = splat(C(1.0 / 17.0));
    for (int n = 15; n >= 3; n -= 2)
        poly = fma_v(poly, z, splat(C(1.0 / n)));
    return (s + s) * fma_v(poly, z, splat(1.0f));
}

/* h = phi(z), and for elu, softplus and tanh *slope = phi'(z), from one exponential
 * (activations.phi_and_slope); alpha is the sloped activations'. */
static inline __attribute__((always_inline)) vf phi_and_slope(const int act, vf z, vf alpha,
                                                              vf *slope)
{
    const vi positive = z > 0.0f;
    const vf one = splat(1.0f);
    vf scale, small;
    switch (act) {
    case ACT_RELU:
        return relu_v(z);
    case ACT_LEAKY:
    case ACT_PRELU:
        return select_v(positive, z, z * alpha);
    case ACT_ELU:
        small = reduced(zero_where(positive, z), &scale);
        *slope = select_v(positive, one, fma_v(scale, small, scale));
        return select_v(positive, z, fma_v(scale, small, scale - 1.0f));
    case ACT_SOFTPLUS: {
        small = reduced(-abs_v(z), &scale);
        const vf e = fma_v(scale, small, scale);
        *slope = select_v(positive, one, e) / (e + 1.0f);
        return relu_v(z) + log1p_unit(e);
    }
    default: {  /* tanh */
        small = reduced(abs_v(z) * -2.0f, &scale);
        const vf u = fma_v(scale, small, scale - 1.0f), e = fma_v(scale, small, scale);
        const vf magnitude = -u / (u + 2.0f);
        *slope = (e * 4.0f) / ((e + 1.0f) * (e + 1.0f));
        return select_v(z < 0.0f, -magnitude, magnitude);
    }
    }
}

/* What the backward pass keeps of z_{t+1} besides h_{t+1} (activations.derivative's inputs):
 * nothing for ReLU, z for the sloped activations, phi'(z) for the others. */
#define SAVED(act, z, slope) (SLOPED(act) ? (z) : (slope))

/* dL/dz from g = dL/dh, h = phi(z) and the saved value (activations.derivative). */
static inline __attribute__((always_inline)) vf derivative(const int act, vf g, vf h, vf saved,
                                                           vf alpha)
{
    if (act == ACT_RELU)
        return zero_where(h <= 0.0f, g);
    if (SLOPED(act))
        return select_v(saved > 0.0f, g, g * alpha);
    return g * saved;
}

static vf load(const float *row, long k, long n)
{
    vf lanes = {0};
    for (long l = 0; row && l < n; l++)
        lanes[l] = row[k + l];
    return lanes;
}

static void store(float *row, long k, long n, vf lanes)
{
    for (long l = 0; l < n; l++)
        row[k + l] = lanes[l];
}

static vi load_i(const int *row, long k, long n)
{
    vi lanes = {0};
    for (long l = 0; l < n; l++)
        lanes[l] = row[k + l];
    return lanes;
}

static void store_i(int *row, long k, long n, vi lanes)
{
    for (long l = 0; l < n; l++)
        row[k + l] = lanes[l];
}

/* Pairwise sums of `count` rows of `padded` vectors each, in place, the rows side by side (their
 * additions are independent); row r's sum ends in rows[r * padded]. */
static inline __attribute__((always_inline)) void pairwise_sum_rows(vf *rows, const int count,
                                                                    long padded)
{
    for (long half = padded / 2; half >= 1; half /= 2)
        for (long i = 0; i < half; i++)
#pragma GCC unroll 8
            for (int r = 0; r < count; r++)
                rows[r * padded + i] = rows[r * padded + i] + rows[r * padded + i + half];
}

static long padded_size(long n)
{
    long padded = 1;
    while (padded < n)
        padded *= 2;
    return padded;
}

/* ---------------------------------------------------------------------------------------------
 * One evaluation (cell.py's `_evaluate_torch`): forward through T steps, loss, active share,
 * backward; gradient sums per lane.
 */
struct scratch {
    vf *h;      /* T * B states: h[t * B + j] = h_{t+1} of batch element j */
    vf *pre;    /* T * B: what the backward keeps of z_{t+1} (SAVED), like h; not for ReLU */
    vf *acc;    /* (SUM_ROWS + 2) * padded: per-element terms of the pairwise sums */
    vf *grad;   /* B / LANES + 1: one model's output gradients, lanes over the batch */
    long padded;
};

static int scratch_open(struct scratch *s, long T, long B)
{
    s->padded = padded_size(B);
    s->h = aligned_alloc(sizeof(vf), sizeof(vf) * (size_t)T * B);
    s->pre = aligned_alloc(sizeof(vf), sizeof(vf) * (size_t)T * B);
    s->acc = aligned_alloc(sizeof(vf), sizeof(vf) * (size_t)(SUM_ROWS + 2) * s->padded);
    s->grad = aligned_alloc(sizeof(vf), sizeof(vf) * (size_t)(B / LANES + 1));
    return s->h && s->pre && s->acc && s->grad ? 0 : -1;
}

static void scratch_close(struct scratch *s)
{
    free(s->h), free(s->pre), free(s->acc), free(s->grad);
}

struct cell_params {
    vf w, wi, b, sp, sn, a;  /* w_hh, w_ih, b_hh + b_ih, slopes s+ and s-, alpha */
    int bias, learned, act;
};

/* The rows of the gradient sums: w_hh, w_ih, [bias], [s+, s-], [alpha (prelu)]. */
#define SUMS(learned, bias, act) (2 + (bias) + 2 * (learned) + ((act) == ACT_PRELU))

struct evaluation {
    vf loss, active, sums[SUM_ROWS];
};

/* Batch elements walked together through time: independent chains that hide the latency of
 * each step's fma -> activation, with their states and sums in registers. */
#define FORWARD_BLOCK 8
#define BACKWARD_BLOCK 4

/* f(x) of element i: |x|, or s+ relu(x) + s- relu(-x) (rounded as torch: two products, a sum). */
#define FEATURE(i) (learned ? p->sp * fa[i] + p->sn * fb[i] : splat(fa[i]))

static inline __attribute__((always_inline)) void
forward_block(const struct cell_params *p, const float *fa, const float *fb, long T, long B,
              long j0, const int U, const int learned, const int bias, const int act, vf *h,
              vf *pre, vi *fired, vf *last)
{
    const vf zero = {0};
    vf state[FORWARD_BLOCK];
    vi count[FORWARD_BLOCK];
#pragma GCC unroll 8
    for (int u = 0; u < U; u++)
        state[u] = zero, count[u] = (vi){0};
    for (long t = 0; t < T; t++) {
#pragma GCC unroll 8
        for (int u = 0; u < U; u++) {
            const long i = t * B + j0 + u;
            const vf f = FEATURE(i);
            const vf drive = bias ? fma_v(p->wi, f, p->b) : p->wi * f;
            const vf z = fma_v(p->w, state[u], drive);
            vf slope;
            state[u] = phi_and_slope(act, z, p->a, &slope);
            count[u] = count_positive(count[u], z);
            h[i] = state[u];
            if (act != ACT_RELU)
                pre[i] = SAVED(act, z, slope);
        }
    }
#pragma GCC unroll 8
    for (int u = 0; u < U; u++)
        *fired += count[u], last[u] = state[u];
}

static inline __attribute__((always_inline)) void
backward_block(const struct cell_params *p, const float *fa, const float *fb, long T, long B,
               long j0, const int U, const int learned, const int bias, const int act,
               const vf *h, const vf *pre, const vf *grad0, vf *acc, long padded)
{
    const vf zero = {0};
    vf g[BACKWARD_BLOCK], hh[BACKWARD_BLOCK], ih[BACKWARD_BLOCK], bb[BACKWARD_BLOCK];
    vf pos[BACKWARD_BLOCK], neg[BACKWARD_BLOCK], al[BACKWARD_BLOCK], after[BACKWARD_BLOCK];
#pragma GCC unroll 4
    for (int u = 0; u < U; u++) {
        g[u] = grad0[j0 + u], hh[u] = ih[u] = bb[u] = pos[u] = neg[u] = al[u] = zero;
        after[u] = h[(T - 1) * B + j0 + u];
    }
    for (long t = T - 1; t >= 0; t--) {
#pragma GCC unroll 4
        for (int u = 0; u < U; u++) {
            const long i = t * B + j0 + u;
            const vf before = t ? h[i - B] : zero;  /* h_t; h_0 = 0 */
            const vf saved = act == ACT_RELU ? zero : pre[i];
            const vf dz = derivative(act, g[u], after[u], saved, p->a);
            if (act == ACT_PRELU)
                al[u] = fma_v(g[u], zero_where(saved > 0.0f, saved), al[u]);
            after[u] = before;
            hh[u] = fma_v(dz, before, hh[u]);
            ih[u] = fma_v(dz, FEATURE(i), ih[u]);
            if (bias)
                bb[u] = bb[u] + dz;
            if (learned) {
                pos[u] = fma_v(dz, splat(fa[i]), pos[u]);
                neg[u] = fma_v(dz, splat(fb[i]), neg[u]);
            }
            g[u] = dz * p->w;
        }
    }
#pragma GCC unroll 4
    for (int u = 0; u < U; u++) {
        const long j = j0 + u;
        acc[j] = hh[u], acc[padded + j] = ih[u];
        if (bias)
            acc[2 * padded + j] = bb[u];
        if (learned)
            acc[(2 + bias) * padded + j] = pos[u], acc[(3 + bias) * padded + j] = neg[u];
        if (act == ACT_PRELU)
            acc[(SUMS(learned, bias, act) - 1) * padded + j] = al[u];
    }
}

static inline __attribute__((always_inline)) void
evaluate_body(const struct cell_params *p, const float *fa, const float *fb, const float *target,
              long T, long B, struct scratch *s, struct evaluation *out, const int learned,
              const int bias, const int act)
{
    const int rows = SUMS(learned, bias, act);
    const long padded = s->padded;
    const vf zero = {0};
    vf *h = s->h, *pre = s->pre, *acc = s->acc;  /* acc: the gradient rows, squares, grad0 */
    vf *squares = acc + rows * padded, *grad0 = squares + padded;

    /* forward: h_{t+1} = phi(fma(w_hh, h_t, w_ih f(x_t) + b)), then the error at h_T */
    vi fired = {0};
    const float grad_scale = (float)(2.0 / (double)B);
    long j = 0;
    vf last[FORWARD_BLOCK];
    for (; j + FORWARD_BLOCK <= B; j += FORWARD_BLOCK) {
        forward_block(p, fa, fb, T, B, j, FORWARD_BLOCK, learned, bias, act, h, pre, &fired,
                      last);
        for (int u = 0; u < FORWARD_BLOCK; u++) {
            const vf error = last[u] - target[j + u];
            squares[j + u] = error * error, grad0[j + u] = error * grad_scale;
        }
    }
    for (; j < B; j++) {
        forward_block(p, fa, fb, T, B, j, 1, learned, bias, act, h, pre, &fired, last);
        const vf error = last[0] - target[j];
        squares[j] = error * error, grad0[j] = error * grad_scale;
    }
    out->active = __builtin_convertvector(fired, vf) / (float)(T * B);

    /* backward: dz = phi'(z_{t+1}) g; accumulate dz * (h_t, f, 1, relu(x), relu(-x)) and, for
     * prelu, g * min(z_{t+1}, 0) */
    for (j = 0; j + BACKWARD_BLOCK <= B; j += BACKWARD_BLOCK)
        backward_block(p, fa, fb, T, B, j, BACKWARD_BLOCK, learned, bias, act, h, pre, grad0, acc,
                       padded);
    for (; j < B; j++)
        backward_block(p, fa, fb, T, B, j, 1, learned, bias, act, h, pre, grad0, acc, padded);
    for (int r = 0; r <= rows; r++)
        for (j = B; j < padded; j++)
            acc[r * padded + j] = zero;
    pairwise_sum_rows(acc, rows + 1, padded);
    for (int r = 0; r < rows; r++)
        out->sums[r] = acc[r * padded];
    out->loss = squares[0] / (float)B;
}

/* BODY(learned, bias, act) with each a compile-time constant: every layout and activation gets
 * loops of its own. */
#define FOR_LAYOUT(p, BODY, act)                                                                   \
    do {                                                                                           \
        if ((p)->learned && (p)->bias)                                                             \
            BODY(1, 1, act);                                                                       \
        else if ((p)->learned)                                                                     \
            BODY(1, 0, act);                                                                       \
        else if ((p)->bias)                                                                        \
            BODY(0, 1, act);                                                                       \
        else                                                                                       \
            BODY(0, 0, act);                                                                       \
    } while (0)
#define SPECIALISED(p, BODY)                                                                       \
    do {                                                                                           \
        switch ((p)->act) {                                                                        \
        case ACT_RELU: FOR_LAYOUT(p, BODY, ACT_RELU); break;                                       \
        case ACT_LEAKY: FOR_LAYOUT(p, BODY, ACT_LEAKY); break;                                     \
        case ACT_ELU: FOR_LAYOUT(p, BODY, ACT_ELU); break;                                         \
        case ACT_SOFTPLUS: FOR_LAYOUT(p, BODY, ACT_SOFTPLUS); break;                               \
        case ACT_TANH: FOR_LAYOUT(p, BODY, ACT_TANH); break;                                       \
        default: FOR_LAYOUT(p, BODY, ACT_PRELU); break;                                            \
        }                                                                                          \
    } while (0)

static void evaluate(const struct cell_params *p, const float *fa, const float *fb,
                     const float *target, long T, long B, struct scratch *s,
                     struct evaluation *out)
{
#define BODY(learned, bias, act) evaluate_body(p, fa, fb, target, T, B, s, out, learned, bias, act)
    SPECIALISED(p, BODY);
#undef BODY
}

/* ---------------------------------------------------------------------------------------------
 * One model, lanes over the batch: for tiles with few models still running (a single run, the
 * last models of a sweep). The same operations per batch element; the pairwise sums pair the same
 * elements (i with i + half), so the results are the same bits as a lane of `evaluate`.
 */
#define MODEL_BLOCK 2  /* batch vectors walked through time together */

/* n <= LANES floats from `from`, zeros after them. */
static inline vf load_part(const float *from, long n)
{
    vf lanes = {0};
    if (n == LANES)
        memcpy(&lanes, from, sizeof lanes);
    else
        for (long l = 0; l < n; l++)
            lanes[l] = from[l];
    return lanes;
}

/* The pairwise sum of a vector's first `padded` lanes (a power of two <= LANES): lane i plus
 * lane i + half, half = padded / 2, ..., 1, by shuffles in registers. */
static inline float pairwise_lanes(vf v, long padded)
{
#pragma GCC unroll 8
    for (int half = LANES / 2; half >= 1; half /= 2) {
        if (half >= padded)
            continue;
        vi from;
        for (int l = 0; l < LANES; l++)
            from[l] = (l + half) % LANES;
        v = v + __builtin_shuffle(v, from);
    }
    return v[0];
}

/* Pairwise sum of `padded` floats (the padding already zero), destroying x. */
static float pairwise_sum_floats(float *x, long padded)
{
    long half = padded / 2;
    for (; half >= LANES; half /= 2)
        for (long i = 0; i < half; i += LANES) {
            vf a, b;
            memcpy(&a, x + i, sizeof a), memcpy(&b, x + i + half, sizeof b);
            a = a + b;
            memcpy(x + i, &a, sizeof a);
        }
    vf last;
    memcpy(&last, x, sizeof last);
    return pairwise_lanes(last, padded < LANES ? padded : LANES);
}

struct model_evaluation {
    float loss, active, sums[SUM_ROWS];
};

struct one_model {
    vf w, wi, b, sp, sn, a;
    const float *fa, *fb, *target;
    long T, B, vectors, tail;
    vi valid;  /* the lanes of the last vector that hold batch elements */
};

/* Forward through time for batch vectors v0 .. v0 + U - 1 (each n wide): h, fired, error. */
static inline __attribute__((always_inline)) void
model_forward(const struct one_model *m, long v0, const int U, long n, const int learned,
              const int bias, const int act, vf *h, vf *pre, vi *fired, float *squares,
              vf *grad0)
{
    const vf zero = {0};
    const float grad_scale = (float)(2.0 / (double)m->B);
    vf state[MODEL_BLOCK];
    vi count[MODEL_BLOCK];
#pragma GCC unroll 2
    for (int u = 0; u < U; u++)
        state[u] = zero, count[u] = (vi){0};
    for (long t = 0; t < m->T; t++) {
#pragma GCC unroll 2
        for (int u = 0; u < U; u++) {
            const long at = t * m->B + (v0 + u) * LANES;
            const vf a = load_part(m->fa + at, n);
            const vf f = learned ? m->sp * a + m->sn * load_part(m->fb + at, n) : a;
            const vf drive = bias ? fma_v(m->wi, f, m->b) : m->wi * f;
            const vf z = fma_v(m->w, state[u], drive);
            vf slope;
            state[u] = phi_and_slope(act, z, m->a, &slope);
            count[u] = count_positive(count[u], n == LANES ? z : zero_where(~m->valid, z));
            h[t * m->vectors + v0 + u] = state[u];
            if (act != ACT_RELU)
                pre[t * m->vectors + v0 + u] = SAVED(act, z, slope);
        }
    }
#pragma GCC unroll 2
    for (int u = 0; u < U; u++) {
        const long v = v0 + u;
        *fired += count[u];
        const vf error = state[u] - load_part(m->target + v * LANES, n);
        const vf square = error * error;
        memcpy(squares + v * LANES, &square, sizeof square);
        grad0[v] = error * grad_scale;
    }
}

/* Backward through time for batch vectors v0 .. v0 + U - 1: each row's per-element sums. */
static inline __attribute__((always_inline)) void
model_backward(const struct one_model *m, long v0, const int U, long n, const int learned,
               const int bias, const int act, const vf *h, const vf *pre, const vf *grad0,
               float *terms, long width)
{
    const vf zero = {0};
    vf g[MODEL_BLOCK], hh[MODEL_BLOCK], ih[MODEL_BLOCK], bb[MODEL_BLOCK], pos[MODEL_BLOCK];
    vf neg[MODEL_BLOCK], al[MODEL_BLOCK], after[MODEL_BLOCK];
#pragma GCC unroll 2
    for (int u = 0; u < U; u++) {
        g[u] = grad0[v0 + u], hh[u] = ih[u] = bb[u] = pos[u] = neg[u] = al[u] = zero;
        after[u] = h[(m->T - 1) * m->vectors + v0 + u];
    }
    for (long t = m->T - 1; t >= 0; t--) {
#pragma GCC unroll 2
        for (int u = 0; u < U; u++) {
            const vf before = t ? h[(t - 1) * m->vectors + v0 + u] : zero;
            const vf saved = act == ACT_RELU ? zero : pre[t * m->vectors + v0 + u];
            const vf dz = derivative(act, g[u], after[u], saved, m->a);
            if (act == ACT_PRELU)
                al[u] = fma_v(g[u], zero_where(saved > 0.0f, saved), al[u]);
            after[u] = before;
            const long at = t * m->B + (v0 + u) * LANES;
            const vf a = load_part(m->fa + at, n);
            const vf b = learned ? load_part(m->fb + at, n) : zero;
            hh[u] = fma_v(dz, before, hh[u]);
            ih[u] = fma_v(dz, learned ? m->sp * a + m->sn * b : a, ih[u]);
            if (bias)
                bb[u] = bb[u] + dz;
            if (learned)
                pos[u] = fma_v(dz, a, pos[u]), neg[u] = fma_v(dz, b, neg[u]);
            g[u] = dz * m->w;
        }
    }
#pragma GCC unroll 2
    for (int u = 0; u < U; u++) {
        float *at = terms + (v0 + u) * LANES;
        memcpy(at, &hh[u], sizeof(vf)), memcpy(at + width, &ih[u], sizeof(vf));
        if (bias)
            memcpy(at + 2 * width, &bb[u], sizeof(vf));
        if (learned) {
            memcpy(at + (2 + bias) * width, &pos[u], sizeof(vf));
            memcpy(at + (3 + bias) * width, &neg[u], sizeof(vf));
        }
        if (act == ACT_PRELU)
            memcpy(at + (SUMS(learned, bias, act) - 1) * width, &al[u], sizeof(vf));
    }
}

static inline __attribute__((always_inline)) void
evaluate_model_body(const struct cell_params *p, int lane, const float *fa, const float *fb,
                    const float *target, long T, long B, struct scratch *s,
                    struct model_evaluation *out, const int learned, const int bias,
                    const int act)
{
    const int rows = SUMS(learned, bias, act);
    const long vectors = (B + LANES - 1) / LANES, full = B / LANES;
    struct one_model m = {
        splat(p->w[lane]), splat(p->wi[lane]), splat(p->b[lane]), splat(p->sp[lane]),
        splat(p->sn[lane]), splat(p->a[lane]), fa, fb, target, T, B, vectors,
        B - (vectors - 1) * LANES, {0},
    };
    for (long l = 0; l < m.tail; l++)
        m.valid[l] = -1;
    const long width = s->padded > vectors * LANES ? s->padded : vectors * LANES;
    vf *h = s->h, *pre = s->pre;       /* h[t * vectors + v] = h_{t+1}, pre likewise z_{t+1} */
    float *terms = (float *)(s->acc);  /* (rows + 1) rows of `width` <= 2 padded floats */
    float *squares = terms + rows * width;

    vi fired = {0};
    long v = 0;
    for (; v + MODEL_BLOCK <= full; v += MODEL_BLOCK)
        model_forward(&m, v, MODEL_BLOCK, LANES, learned, bias, act, h, pre, &fired, squares,
                      s->grad);
    for (; v < vectors; v++)
        model_forward(&m, v, 1, v < full ? LANES : m.tail, learned, bias, act, h, pre, &fired,
                      squares, s->grad);
    for (long j = B; j < s->padded; j++)
        squares[j] = 0.0f;
    out->loss = pairwise_sum_floats(squares, s->padded) / (float)B;
    int total = 0;
    for (int l = 0; l < LANES; l++)
        total += fired[l];
    out->active = (float)total / (float)(T * B);

    for (v = 0; v + MODEL_BLOCK <= full; v += MODEL_BLOCK)
        model_backward(&m, v, MODEL_BLOCK, LANES, learned, bias, act, h, pre, s->grad, terms,
                       width);
    for (; v < vectors; v++)
        model_backward(&m, v, 1, v < full ? LANES : m.tail, learned, bias, act, h, pre, s->grad,
                       terms, width);
    for (int r = 0; r < rows; r++) {
        for (long j = B; j < s->padded; j++)
            terms[r * width + j] = 0.0f;
        out->sums[r] = pairwise_sum_floats(terms + r * width, s->padded);
    }
}

static void evaluate_model(const struct cell_params *p, int lane, const float *fa,
                           const float *fb, const float *target, long T, long B,
                           struct scratch *s, struct model_evaluation *out)
{
#define BODY(learned, bias, act)                                                                   \
    evaluate_model_body(p, lane, fa, fb, target, T, B, s, out, learned, bias, act)
    SPECIALISED(p, BODY);
#undef BODY
}

int l1viz_evaluate(long k0, long k1, long K, long T, long B,
                   const float *feature_a, const float *feature_b, const float *target,
                   const float *w_hh, const float *w_ih, const float *bias,
                   const float *slope_pos, const float *slope_neg,
                   enum l1viz_activation activation, const float *alpha,
                   float *loss, float *active, float *sums)
{
    struct scratch s;
    if (scratch_open(&s, T, B)) {
        scratch_close(&s);
        return -1;
    }
    const int rows = SUMS(feature_b != NULL, bias != NULL, activation);
    for (long k = k0; k < k1; k += LANES) {
        const long n = k1 - k < LANES ? k1 - k : LANES;
        const struct cell_params p = {
            load(w_hh, k, n), load(w_ih, k, n), load(bias, k, n),
            load(slope_pos, k, n), load(slope_neg, k, n), load(alpha, k, n),
            bias != NULL, feature_b != NULL, activation,
        };
        struct evaluation e;
        evaluate(&p, feature_a, feature_b, target, T, B, &s, &e);
        store(loss, k, n, e.loss);
        store(active, k, n, e.active);
        for (int r = 0; r < rows; r++)
            store(sums + r * K, k, n, e.sums[r]);
    }
    scratch_close(&s);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Training: a tile of up to LANES models kept in registers for a whole chunk of steps.
 */
struct tile {
    long k, n;  /* first model, lanes in use */
    vf p[MAX_ROWS], m[MAX_ROWS], v[MAX_ROWS], g[MAX_ROWS];
    vd lr;
    vf loss, active;
    vi running, verdict, stopped_at, dead_since, silent_since, first[KINDS];
    vi revived_at, revived_from;
};

static void tile_load(struct tile *t, const struct l1viz_layout *lay,
                      const struct l1viz_state *st, long k, long n)
{
    const long K = lay->models;
    t->k = k, t->n = n;
    for (long r = 0; r < lay->rows; r++) {
        t->p[r] = load(st->params + r * K, k, n);
        t->g[r] = load(st->grads + r * K, k, n);
        t->m[r] = load(st->exp_avg ? st->exp_avg + r * K : NULL, k, n);
        t->v[r] = load(st->exp_avg_sq ? st->exp_avg_sq + r * K : NULL, k, n);
    }
    vd lr = {0};
    for (long l = 0; l < n; l++)
        lr[l] = st->learning_rate[k + l];
    t->lr = lr;
    t->loss = load(st->loss, k, n);
    t->active = load(st->active, k, n);
    t->running = load_i(st->running, k, n) != 0;  /* unused lanes: never running */
    t->verdict = load_i(st->verdict, k, n);
    t->stopped_at = load_i(st->stopped_at, k, n);
    t->dead_since = load_i(st->dead_since, k, n);
    t->silent_since = load_i(st->silent_since, k, n);
    for (int kind = 0; kind < KINDS; kind++)
        t->first[kind] = load_i(st->first + kind * K, k, n);
    t->revived_at = load_i(st->revived_at, k, n);
    t->revived_from = load_i(st->revived_from, k, n);
}

static void tile_store(const struct tile *t, const struct l1viz_layout *lay,
                       const struct l1viz_state *st)
{
    const long K = lay->models, k = t->k, n = t->n;
    for (long r = 0; r < lay->rows; r++) {
        store(st->params + r * K, k, n, t->p[r]);
        store(st->grads + r * K, k, n, t->g[r]);
        if (st->exp_avg)
            store(st->exp_avg + r * K, k, n, t->m[r]);
        if (st->exp_avg_sq)
            store(st->exp_avg_sq + r * K, k, n, t->v[r]);
    }
    store(st->loss, k, n, t->loss);
    store(st->active, k, n, t->active);
    store_i(st->running, k, n, t->running & 1);
    store_i(st->verdict, k, n, t->verdict);
    store_i(st->stopped_at, k, n, t->stopped_at);
    store_i(st->dead_since, k, n, t->dead_since);
    store_i(st->silent_since, k, n, t->silent_since);
    for (int kind = 0; kind < KINDS; kind++)
        store_i(st->first + kind * K, k, n, t->first[kind]);
    store_i(st->revived_at, k, n, t->revived_at);
    store_i(st->revived_from, k, n, t->revived_from);
}

/* Up to this many running models a tile evaluates them one by one, lanes over the batch
 * (measured break-even at 32 x 10: 6-7 models). */
#define FEW_MODELS 6

static inline int running_lanes(vi mask)
{
    int count = 0;
    for (int l = 0; l < LANES; l++)
        count += mask[l] != 0;
    return count;
}

static inline int any_lane(vi mask)
{
    int any = 0;
    for (int l = 0; l < LANES; l++)
        any |= mask[l];
    return any != 0;
}

/* Cell.slopes: s+ = sum_j out_j relu(in_j), s- = sum_j out_j relu(-in_j), summed in row order. */
static void slopes(const vf *p, int first_in, vf *sp, vf *sn)
{
    const vf *in = p + first_in, *out = p + first_in + WIDTH;
    vf pos = out[0] * relu_v(in[0]), neg = out[0] * relu_v(-in[0]);
    for (int j = 1; j < WIDTH; j++) {
        pos = pos + out[j] * relu_v(in[j]);
        neg = neg + out[j] * relu_v(-in[j]);
    }
    *sp = pos, *sn = neg;
}

static struct cell_params cell_of(const vf *p, const struct l1viz_layout *lay)
{
    const vf zero = {0};
    struct cell_params c = {
        p[0], p[1], zero, zero, zero, zero, lay->bias, lay->learned, lay->activation,
    };
    if (lay->bias)
        c.b = p[2] + p[3];
    if (lay->learned)
        slopes(p, lay->bias ? 4 : 2, &c.sp, &c.sn);
    if (SLOPED(lay->activation))
        c.a = p[lay->rows - 1];
    return c;
}

/* Cell._gather_grads: per-parameter gradients from the evaluation's sums. */
static void gather_grads(const struct l1viz_layout *lay, const vf *p, const vf *sums, vf *g)
{
    const int bias = lay->bias, act = lay->activation;
    const vf zero = {0};
    g[0] = sums[0], g[1] = sums[1];
    if (bias)
        g[2] = sums[2], g[3] = sums[2];
    if (SLOPED(act))  /* leaky_relu's alpha is fixed: its gradient is 0 */
        g[lay->rows - 1] = act == ACT_PRELU ? sums[SUMS(lay->learned, bias, act) - 1] : zero;
    if (!lay->learned)
        return;
    const int first_in = bias ? 4 : 2;
    const vf grad_pos = p[1] * sums[2 + bias], grad_neg = p[1] * sums[3 + bias];
    const vf one = splat(1.0f);
    for (int j = 0; j < WIDTH; j++) {
        const vf in = p[first_in + j], out = p[first_in + WIDTH + j];
        const vf on_pos = select_v(in > 0.0f, one, zero), on_neg = select_v(in < 0.0f, one, zero);
        g[first_in + j] = out * (grad_pos * on_pos - grad_neg * on_neg);
        g[first_in + WIDTH + j] = grad_pos * relu_v(in) + grad_neg * relu_v(-in);
    }
}

/* Adam's bias corrections of update number `count` (1, 2, ...), in double as torch.optim's. */
struct corrections {
    double first;       /* 1 - beta1^count */
    float second_root;  /* (1 - beta2^count) ** 0.5, rounded as the divisor of a float tensor */
};

static struct corrections corrections_of(long count)
{
    const struct corrections c = {
        1 - pow(BETA1, (double)count), (float)pow(1 - pow(BETA2, (double)count), 0.5),
    };
    return c;
}

/* optim.py: one update of the running lanes. */
static void update(struct tile *t, const struct l1viz_layout *lay, const struct l1viz_rules *rules,
                   const struct corrections *c)
{
    const vi keep = t->running;
    if (rules->optimizer == L1VIZ_OPTIMIZER_SGD) {
        const vf alpha = __builtin_convertvector(-t->lr, vf);
        for (long r = 0; r < lay->rows; r++)
            t->p[r] = select_v(keep, fma_v(t->g[r], alpha, t->p[r]), t->p[r]);
        return;
    }
    const vf value = __builtin_convertvector(-(t->lr / c->first), vf);
    const vf root2 = splat(c->second_root);
    const vf w1 = splat((float)(1 - BETA1)), beta2 = splat((float)BETA2);
    const vf w2 = splat((float)(1 - BETA2)), eps = splat((float)EPSILON);
    vf m[MAX_ROWS], v[MAX_ROWS], root[MAX_ROWS];
    for (long r = 0; r < lay->rows; r++) {
        const vf g = t->g[r];
        m[r] = fma_v(w1, g - t->m[r], t->m[r]);            /* lerp_(g, 1 - beta1) */
        v[r] = fma_v(w2 * g, g, t->v[r] * beta2);         /* mul_(beta2).addcmul_ */
    }
    sqrt_rows(rules, v, root, lay->rows);
    for (long r = 0; r < lay->rows; r++) {
        const vf denom = root[r] / root2 + eps;
        t->p[r] = select_v(keep, t->p[r] + (value * m[r]) / denom, t->p[r]);  /* addcdiv_ */
        t->m[r] = select_v(keep, m[r], t->m[r]);
        t->v[r] = select_v(keep, v[r], t->v[r]);
    }
}

/* The trainer's rules at step s, on the evaluation just made: verdicts.judge, operation for
 * operation (outcomes.py states each rule; VERDICTS order: diverged, dead, dead in practice,
 * converged). Freezes finished lanes. */
static void judge(struct tile *t, const struct l1viz_layout *lay, const struct l1viz_rules *rules,
                  const struct cell_params *c, int32_t s)
{
    const vf wp = lay->learned ? c->wi * c->sp : c->wi;  /* Cell.effective */
    const vf wn = lay->learned ? c->wi * c->sn : c->wi;
    const vf b = c->b, zero = {0}, one = splat(1.0f);
    const vi running = t->running;

    const vi in_region = (wp <= 0.0f) & (wn <= 0.0f) & (b <= 0.0f);
    const vi silent = t->active == 0.0f;
    const vi revived = running & ~silent & (t->silent_since <= splat_i(s - rules->patience))
                       & (t->revived_at < 0);
    t->revived_from = select_i(revived, t->silent_since, t->revived_from);
    t->revived_at = select_i(revived, splat_i(s), t->revived_at);
    t->dead_since = select_i(running & ~(in_region & silent), splat_i(s + 1), t->dead_since);
    t->silent_since = select_i(running & ~silent, splat_i(s + 1), t->silent_since);
    const vi patient = splat_i(s + 1 - rules->patience);
    const vi dead_rules = splat_i(rules->dead_rules ? -1 : 0);

    const vf limit = splat(rules->firing_limit);
    const vi beyond_reach = (b < 0.0f) & ((wp <= 0.0f) | (-b > limit * wp))
                            & ((wn <= 0.0f) | (-b > limit * wn));
    const vf tolerance = splat(rules->tolerance);
    vi converged;
    if (rules->criterion == L1VIZ_CRITERION_TOLERANCE)
        converged = (abs_v(c->w - one) <= tolerance) & (abs_v(wp - one) <= tolerance)
                    & (abs_v(wn - one) <= tolerance) & (abs_v(b - zero) <= tolerance);
    else if (rules->criterion == L1VIZ_CRITERION_LOSS)
        converged = t->loss <= tolerance;
    else
        converged = (c->w == 1.0f) & (wp == 1.0f) & (wn == 1.0f);

    const vi holds[KINDS] = {
        [L1VIZ_VERDICT_DIVERGED] = not_finite_v(t->loss),
        [L1VIZ_VERDICT_DEAD] = (t->dead_since <= patient) & dead_rules,
        [L1VIZ_VERDICT_DEAD_IN_PRACTICE] =
            ~in_region & (t->silent_since <= patient) & beyond_reach & dead_rules,
        [L1VIZ_VERDICT_CONVERGED] = converged,
    };
    const vi at[KINDS] = {
        [L1VIZ_VERDICT_DIVERGED] = splat_i(s),
        [L1VIZ_VERDICT_DEAD] = t->dead_since,
        [L1VIZ_VERDICT_DEAD_IN_PRACTICE] = t->silent_since,
        [L1VIZ_VERDICT_CONVERGED] = splat_i(s),
    };
    vi stop = {0};
    for (int kind = 0; kind < KINDS; kind++) {
        const vi fresh = holds[kind] & (t->first[kind] < 0) & running;
        t->first[kind] = select_i(fresh, at[kind], t->first[kind]);
        t->verdict = select_i(fresh & (t->verdict < 0), splat_i(kind), t->verdict);
        if (kind == L1VIZ_VERDICT_DIVERGED || rules->early_stop)
            stop |= fresh;
    }
    t->stopped_at = select_i(stop, splat_i(s), t->stopped_at);
    t->running &= ~stop;
}

/* grad_norm: sqrt of the sum over rows of g * g in double, rounded to float (torch_path.py). */
static vf grad_norm(const struct l1viz_rules *rules, const vf *g, long rows)
{
    vd total = __builtin_convertvector(g[0], vd) * __builtin_convertvector(g[0], vd);
    for (long r = 1; r < rows; r++) {
        const vd wide = __builtin_convertvector(g[r], vd);
        total = total + wide * wide;
    }
    return __builtin_convertvector(sqrt_d(rules, total), vf);
}

static void record(const struct tile *t, const struct l1viz_layout *lay,
                   const struct l1viz_rules *rules, const struct l1viz_history *history, long row)
{
    const long K = lay->models, fields = lay->rows + 3;
    float *values = history->values + row * fields * K;
    for (long r = 0; r < lay->rows; r++)
        store(values + r * K, t->k, t->n, t->p[r]);
    store(values + lay->rows * K, t->k, t->n, t->loss);
    store(values + (lay->rows + 1) * K, t->k, t->n, t->active);
    store(values + (lay->rows + 2) * K, t->k, t->n, grad_norm(rules, t->g, lay->rows));
}

static long train_tile(struct tile *t, const struct l1viz_layout *lay,
                       const struct l1viz_rules *rules, const struct l1viz_batches *batches,
                       const struct l1viz_history *history, long first, long last,
                       const struct corrections *corrections, struct scratch *s)
{
    const long L = lay->max_length, B = lay->batch;
    long reached = first - 1, written = 0;
    for (long step = first; step <= last; step++) {
        const int training = any_lane(t->running);
        struct cell_params c;
        if (training) {
            if (step >= 1)
                update(t, lay, rules, &corrections[step - first]);
            const long i = step - batches->first_step;
            c = cell_of(t->p, lay);
            const float *fa = batches->feature_a + i * L * B;
            const float *fb = batches->feature_b ? batches->feature_b + i * L * B : NULL;
            const float *target = batches->target + i * B;
            const long T = batches->longest[i];
            struct evaluation e;
            if (running_lanes(t->running) <= FEW_MODELS) {
                for (int l = 0; l < LANES; l++) {
                    if (!t->running[l])
                        continue;
                    struct model_evaluation one;
                    evaluate_model(&c, l, fa, fb, target, T, B, s, &one);
                    e.loss[l] = one.loss, e.active[l] = one.active;
                    for (int r = 0; r < SUM_ROWS; r++)
                        e.sums[r][l] = one.sums[r];
                }
            } else {
                evaluate(&c, fa, fb, target, T, B, s, &e);
            }
            const vi keep = t->running;
            vf g[MAX_ROWS];
            gather_grads(lay, t->p, e.sums, g);
            for (long r = 0; r < lay->rows; r++)
                t->g[r] = select_v(keep, g[r], t->g[r]);
            t->loss = select_v(keep, e.loss, t->loss);
            t->active = select_v(keep, e.active, t->active);
        }
        if (history->values && step % history->stride == 0 && written < history->room)
            record(t, lay, rules, history, history->next + written++);
        if (training) {
            judge(t, lay, rules, &c, (int32_t)step);
            reached = step;
        }
    }
    return reached;
}

int l1viz_lanes(void)
{
    return LANES;
}

int l1viz_train(const struct l1viz_layout *layout, const struct l1viz_rules *rules,
                const struct l1viz_state *state, const struct l1viz_batches *batches,
                const struct l1viz_history *history, long k0, long k1, long first, long last,
                long *reached)
{
    long longest = 1;
    for (long step = first; step <= last; step++)
        if (batches->longest[step - batches->first_step] > longest)
            longest = batches->longest[step - batches->first_step];
    struct scratch s;
    struct corrections *corrections = malloc(sizeof *corrections * (size_t)(last - first + 1));
    if (scratch_open(&s, longest, layout->batch) || !corrections) {
        scratch_close(&s), free(corrections);
        return -1;
    }
    for (long step = first; step <= last; step++)
        corrections[step - first] = corrections_of(step);
    *reached = first - 1;
    for (long k = k0; k < k1; k += LANES) {
        struct tile t;
        tile_load(&t, layout, state, k, k1 - k < LANES ? k1 - k : LANES);
        const long tile_reached =
            train_tile(&t, layout, rules, batches, history, first, last, corrections, &s);
        tile_store(&t, layout, state);
        if (tile_reached > *reached)
            *reached = tile_reached;
    }
    scratch_close(&s), free(corrections);
    return 0;
}

void l1viz_features(const float *x, long n, enum l1viz_transform transform, float *a, float *b)
{
    long i = 0;
    for (; i + LANES <= n; i += LANES) {  /* Cell.prepare's operations, lane by lane */
        vf v, first, second;
        memcpy(&v, x + i, sizeof v);
        if (transform == L1VIZ_TRANSFORM_WHERE)
            first = select_v(v < 0.0f, -v, v);  /* where(x < 0, -x, x) */
        else if (transform == L1VIZ_TRANSFORM_RELU_PAIR)
            first = relu_v(v) + relu_v(-v);
        else
            first = relu_v(v), second = relu_v(-v);
        memcpy(a + i, &first, sizeof first);
        if (transform == L1VIZ_TRANSFORM_LEARNED)
            memcpy(b + i, &second, sizeof second);
    }
    for (; i < n; i++) {
        const vf v = splat(x[i]);
        const vf first = transform == L1VIZ_TRANSFORM_WHERE ? select_v(v < 0.0f, -v, v)
                         : transform == L1VIZ_TRANSFORM_RELU_PAIR ? relu_v(v) + relu_v(-v)
                                                                 : relu_v(v);
        a[i] = first[0];
        if (transform == L1VIZ_TRANSFORM_LEARNED)
            b[i] = relu_v(-v)[0];
    }
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
