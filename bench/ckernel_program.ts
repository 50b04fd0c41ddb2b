/**
 * The fixed C text of the generated kernel (bench/ckernel.ts): the prelude (weight blob, float32
 * exp/sigmoid/tanh, dense product, file I/O, timing) and main(), which reads the files, measures
 * the sparse and the dense path and writes their outputs and timings.
 *
 * @module
 */

import type { RnnKind } from "../model/model.ts";

/** The fixed head of the program: blob pointer, activation, dense product, I/O and timing. */
export function programPrelude(): string {
  return String.raw`
static unsigned char *blob;

/* A GCC generic vector, loaded unaligned: 8 floats when the target has AVX, else 4 (SSE, NEON),
   the width the hardware holds in one register. */
#if defined(__AVX__)
#define RNNFAB_VECTOR_WIDTH 8
typedef float vecf __attribute__((vector_size(32)));
#else
#define RNNFAB_VECTOR_WIDTH 4
typedef float vecf __attribute__((vector_size(16)));
#endif
static inline vecf load_vecf(const float *p) {
  vecf value;
  memcpy(&value, p, sizeof value);
  return value;
}

/* exp for float32, Cephes-style: x = n ln2 + r (Cody-Waite split), a degree-6 polynomial for
   e^r and 2^n built in the exponent bits. Branch-free so that loops over cells vectorize; about
   1e-7 relative error on [-87, 88] (inputs are clamped to that range). */
static inline float exp_f(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float t = x * 1.44269504088896341f;
  const float nf = (t + 12582912.0f) - 12582912.0f; /* round to nearest integer */
  const int32_t n = (int32_t)nf;
  float r = x - nf * 0.693359375f;
  r = r + nf * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const union { int32_t i; float f; } scale = { .i = (n + 127) << 23 };
  return p * scale.f;
}

static inline float sigmoid_f(float v) { return 1.0f / (1.0f + exp_f(-v)); }

/* tanh(v) = 1 - 2 / (e^(2v) + 1): absolute error about 2e-7. */
static inline float tanh_f(float v) { return 1.0f - 2.0f / (exp_f(2.0f * v) + 1.0f); }

static void dense_product(const float *restrict w, int rows, int cols, const float *restrict x,
                          float *restrict y) {
  for (int r = 0; r < rows; r++) {
    const float *row = w + (size_t)r * cols;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int k = 0; k < cols; k++) s += row[k] * x[k];
    y[r] += s;
  }
}

static unsigned char *read_file(const char *path, size_t expected) {
  FILE *f = fopen(path, "rb");
  if (!f) { fprintf(stderr, "cannot open %s\n", path); exit(3); }
  unsigned char *data = aligned_alloc(64, (expected + 63) / 64 * 64 + 64);
  size_t got = fread(data, 1, expected + 1, f);
  fclose(f);
  if (got != expected) {
    fprintf(stderr, "%s: expected %zu bytes, read %zu\n", path, expected, got);
    exit(3);
  }
  return data;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef void (*sequence_fn)(const float *, int, float *);

static void measure(const char *label, sequence_fn run, const float *inputs, int steps,
                    float *outputs, int warmup, int repeats, int last) {
  for (int i = 0; i < warmup; i++) run(inputs, steps, outputs);
  printf("\"%s\":[", label);
  for (int i = 0; i < repeats; i++) {
    const double start = now_ns();
    run(inputs, steps, outputs);
    const double stop = now_ns();
    printf("%s%.0f", i ? "," : "", stop - start);
  }
  printf("]%s", last ? "}\n" : ",");
}

static void write_file(const char *path, const float *data, size_t count) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, sizeof(float), count, f) != count) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(3);
  }
  fclose(f);
}
`;
}

/** The program's main(): reads the files, measures both paths, writes outputs and timings. */
export function programMain(
  kind: RnnKind,
  inputSize: number,
  outSize: number,
  blobBytes: number,
): string {
  return String.raw`
int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s WEIGHTS INPUTS STEPS SPARSE_OUT DENSE_OUT WARMUP REPEATS\n", argv[0]);
    return 2;
  }
  const int steps = atoi(argv[3]);
  const int warmup = atoi(argv[6]);
  const int repeats = atoi(argv[7]);
  if (steps <= 0 || warmup < 0 || repeats <= 0) { fprintf(stderr, "bad counts\n"); return 2; }
  blob = read_file(argv[1], ${blobBytes}u);
  float *inputs = (float *)read_file(argv[2], (size_t)steps * ${inputSize} * sizeof(float));
  float *sparse_out = calloc((size_t)steps * ${outSize}, sizeof(float));
  float *dense_out = calloc((size_t)steps * ${outSize}, sizeof(float));
  printf("{\"kind\":\"${kind}\",");
  measure("sparseNs", sparse_sequence, inputs, steps, sparse_out, warmup, repeats, 0);
  measure("denseNs", dense_sequence, inputs, steps, dense_out, warmup, repeats, 1);
  write_file(argv[4], sparse_out, (size_t)steps * ${outSize});
  write_file(argv[5], dense_out, (size_t)steps * ${outSize});
  return 0;
}
`;
}
