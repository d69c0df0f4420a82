/* The compiled kernel's interface, declared once: kernel.c includes this file and header.py hands
 * it to cffi's cdef, so both sides read the same declarations and the same codes. Plain C
 * declarations only (cffi parses them: no preprocessor lines, no includes).
 *
 * K models share one layout. A "row" array holds one value per model (K floats); a (rows, K)
 * array holds row r at offset r * K. Step numbers are int (at most 10,000,000 steps, config.py).
 */

/* The codes both sides use, named once here: header.py reads each enum as {name: code}, the
 * name being the constant's lower-case tail, so config.py's choices are these names. */
enum l1viz_optimizer { L1VIZ_OPTIMIZER_ADAM = 0, L1VIZ_OPTIMIZER_SGD = 1 };
enum l1viz_criterion {  /* outcomes.has_converged */
    L1VIZ_CRITERION_TOLERANCE = 0,
    L1VIZ_CRITERION_LOSS = 1,
    L1VIZ_CRITERION_EXACT = 2
};
enum l1viz_transform {  /* Cell.prepare */
    L1VIZ_TRANSFORM_WHERE = 0,
    L1VIZ_TRANSFORM_RELU_PAIR = 1,
    L1VIZ_TRANSFORM_LEARNED = 2
};
enum l1viz_activation {  /* activations.py */
    L1VIZ_ACTIVATION_RELU = 0,
    L1VIZ_ACTIVATION_LEAKY_RELU = 1,
    L1VIZ_ACTIVATION_ELU = 2,
    L1VIZ_ACTIVATION_SOFTPLUS = 3,
    L1VIZ_ACTIVATION_TANH = 4,
    L1VIZ_ACTIVATION_PRELU = 5
};
/* The verdicts the rules reach, in priority order when several first hold at one step
 * (outcomes.VERDICTS is read from here): a model's verdict code and the rows of `first`. */
enum l1viz_verdict {
    L1VIZ_VERDICT_DIVERGED = 0,
    L1VIZ_VERDICT_DEAD = 1,
    L1VIZ_VERDICT_DEAD_IN_PRACTICE = 2,
    L1VIZ_VERDICT_CONVERGED = 3
};

/* What every model of the run shares. */
struct l1viz_layout {
    long models;      /* K */
    long rows;        /* w_hh, w_ih [, b_hh, b_ih] [, in_0..3, out_0..3] [, alpha] */
    int bias;         /* 1: rows 2 and 3 are b_hh and b_ih */
    int learned;      /* 1: 8 rows after the weights and biases are the learned input layer */
    enum l1viz_activation activation;  /* leaky_relu, prelu: the last row is alpha */
    long batch;       /* B */
    long max_length;  /* L: each step's features are an (L, B) time-major block */
};

/* Square roots of n values, a into r, in MKL's vector-function form: torch's CPU sqrt calls
 * MKL's (not always the IEEE result, and CPU-dependent), so the kernel calls the same one. */
typedef void (*l1viz_sqrt32)(const int *n, const float *a, float *r, const long long *mode);
typedef void (*l1viz_sqrt64)(const int *n, const double *a, double *r, const long long *mode);

/* The optimiser and the verdict rules; outcomes.py states each rule, the kernel mirrors it. */
struct l1viz_rules {
    enum l1viz_optimizer optimizer;
    enum l1viz_criterion criterion;
    float tolerance;
    int patience;         /* config.dead_patience */
    float firing_limit;   /* T*, outcomes.firing_threshold_limit */
    int early_stop;       /* 0: only divergence stops a model */
    int dead_rules;       /* 1: the dead rules apply (ReLU) */
    l1viz_sqrt32 sqrt32;  /* torch's float sqrt; NULL: the CPU's (IEEE) sqrt is torch's */
    l1viz_sqrt64 sqrt64;  /* torch's double sqrt; NULL likewise */
    long long sqrt_mode;
};

/* Each model's training state, owned by the trainer (torch tensors) and updated in place. */
struct l1viz_state {
    float *params;               /* (rows, K) */
    float *exp_avg;              /* (rows, K), Adam only */
    float *exp_avg_sq;           /* (rows, K), Adam only */
    float *grads;                /* (rows, K): gradients of the last evaluation */
    const double *learning_rate; /* (K,) */
    float *loss;                 /* (K,) at the last evaluation */
    float *active;               /* (K,) share of positive pre-activations, last evaluation */
    int *running;                /* (K,) 1 while training, 0 once frozen */
    int *verdict;                /* (K,) an l1viz_verdict, -1 while undecided */
    int *stopped_at;             /* (K,) step at which the model was frozen, -1 */
    int *dead_since;             /* (K,) first step of the current silent stretch in the dead region */
    int *silent_since;           /* (K,) first step of the current silent stretch */
    int *first;                  /* (4, K) first step each rule held, row = l1viz_verdict, -1 */
    int *revived_at;             /* (K,) first step it fired after a long silence, -1 */
    int *revived_from;           /* (K,) first step of that silence, -1 */
};

/* The batches of steps first_step, first_step + 1, ... (data.py). */
struct l1viz_batches {
    const float *feature_a;  /* (steps, L, B): |x|, or relu(x) for the learned transform */
    const float *feature_b;  /* (steps, L, B): relu(-x) for the learned transform, else NULL */
    const float *target;     /* (steps, B) */
    const int *longest;      /* (steps,) T: the rows of the step's block that the cell reads */
    long first_step;
};

/* Where history rows go: row i, field f, model k at values[(i * fields + f) * K + k], fields =
 * parameter rows, loss, active, gradient norm. A step s is recorded when s % stride == 0, into
 * rows next, next + 1, ..., while fewer than `room` rows were written by this call. */
struct l1viz_history {
    float *values;  /* NULL: no history */
    long next;
    long room;
    long stride;
};

/* Evaluate steps first..last for models [k0, k1): before step s >= 1 the optimiser applies the
 * gradients of step s - 1; then the batch of step s gives loss, active share and gradients; the
 * row is recorded; the rules are checked and finished models frozen. *reached is the last step at
 * which one of these models was still training (first - 1 if none was). Returns 0, or -1 when
 * scratch memory cannot be allocated. */
int l1viz_train(const struct l1viz_layout *layout, const struct l1viz_rules *rules,
                const struct l1viz_state *state, const struct l1viz_batches *batches,
                const struct l1viz_history *history, long k0, long k1, long first, long last,
                long *reached);

/* One evaluation of models [k0, k1) on one batch (Cell.loss_and_grads): features are (T, B),
 * slope_pos/slope_neg NULL unless learned, bias NULL without bias, alpha NULL unless the
 * activation has one. Output rows of `sums`: w_hh, w_ih, [bias], [slope+, slope-], [alpha (prelu)].
 * Returns 0, or -1 without scratch memory. */
int l1viz_evaluate(long k0, long k1, long K, long T, long B,
                   const float *feature_a, const float *feature_b, const float *target,
                   const float *w_hh, const float *w_ih, const float *bias,
                   const float *slope_pos, const float *slope_neg,
                   enum l1viz_activation activation, const float *alpha,
                   float *loss, float *active, float *sums);

/* The training data of steps first_step .. first_step + steps - 1 (data.py defines it):
 * x (steps, L, B) zero-padded, target (steps, B), longest (steps,). Returns 0, or -1 without
 * scratch memory. */
int l1viz_draw(unsigned long long seed, long batch, long max_length, long first_step,
                long steps, float *x, float *target, int *longest);

/* Cell.prepare's features of n values of x: where and relu-pair give |x| by their own
 * operations into a; learned gives relu(x) into a and relu(-x) into b. */
void l1viz_features(const float *x, long n, enum l1viz_transform transform, float *a, float *b);

/* Models per vector tile: thread ranges split at multiples of it. */
int l1viz_lanes(void);
