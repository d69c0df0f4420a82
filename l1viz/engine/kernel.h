/* The compiled kernel's interface, declared once: kernel.c includes this file and native.py hands
 * it to cffi's cdef, so both sides read the same declarations. Plain C declarations only (cffi
 * parses them: no preprocessor lines, no includes).
 *
 * K models; a row array holds one value per model (K floats); a (rows, K) array holds row r at
 * offset r * K.
 */

/* One evaluation of models [k0, k1) on one batch (Cell.loss_and_grads): features are (T, B),
 * slope_pos/slope_neg NULL unless learned, bias NULL without bias. Output rows of `sums`: w_hh,
 * w_ih, [bias], [slope+, slope-]. Returns 0, or -1 without scratch memory. */
int l1viz_evaluate(long k0, long k1, long K, long T, long B,
                   const float *feature_a, const float *feature_b, const float *target,
                   const float *w_hh, const float *w_ih, const float *bias,
                   const float *slope_pos, const float *slope_neg,
                   float *loss, float *active, float *sums);

/* The training data of steps first_step .. first_step + steps - 1 (data.py defines it):
 * x (steps, L, B) zero-padded, target (steps, B), longest (steps,). Returns 0, or -1 without
 * scratch memory. */
int l1viz_draw(unsigned long long seed, long batch, long max_length, long first_step,
                long steps, float *x, float *target, int *longest);
