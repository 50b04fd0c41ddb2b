// rnnfab Verilator harness: drives the streaming ports of a generated accelerator (top module
// verilated with --prefix Vdut), applies optional random output back-pressure and input gaps,
// records every output beat with the cycle it transferred, and writes a plain-text result file
// that sim/verilator.ts parses. The comparison with the golden model happens in TypeScript.
//
// Stimulus file (text, sim/harness_io.ts):
//   version 1: "rnnfab-stimulus 1", "steps inputSize outputSize", then steps*inputSize signed
//              decimal integers (activation format), whitespace separated;
//   version 2: "rnnfab-stimulus 2", "sequences inputSize outputSize", then per sequence
//              "sequence steps maxCycles" and its steps*inputSize integers. The sequences run back
//              to back in this one process, each started by a reset (the accelerator's only way
//              to start a new sequence): --reset-cycles before the first, --between-reset-cycles
//              (default 2, the interface's minimum) before each further one.
//
// Batch designs (gen --batch B, --words-per-beat B): every stream beat carries B words, word s
// in bits [s*AB, (s+1)*AB) of in_data / out_data; the stimulus lists the words beat by beat
// (inputSize counts words), and the result has one "beat" line per word (B lines per beat).
// Wide output (gen --out-words W, --out-words-per-beat W): an output beat carries W consecutive
// elements of a step, element e + j in bits [j*AB, (j+1)*AB); the result has one "beat" line
// per element, and a step's last beat only the lines of its elements (the lanes past the output
// size carry no output).
// Wide input (gen --in-words W, --in-words-per-beat W): an input beat carries W consecutive
// elements of a step, element i + j in bits [j*AB, (j+1)*AB); a step's last beat carries only its
// elements (the lanes past the input size are zero), so a step takes ceil(inputSize / W) beats.
//
// Result file (text): one "beat <cycle> <value> <last>" line per transferred output beat, then
// "summary <key> <value>" lines ending with "summary end 1"; with a version-2 stimulus every
// sequence's block starts with a "sequence <index>" line.
//
// Cycle 1 is the first rising edge after reset is released (in every sequence); a beat transfers
// at a rising edge when valid && ready were both high just before it.
//
// Per cycle the model is evaluated twice: with the clock low and the new inputs (combinational
// settle, outputs sampled), then with the clock high (the rising edge). Nothing in the designs
// is sensitive to the falling edge, so a third evaluation after it would change no value.

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "Vdut.h"
#include "verilated.h"
#if RNNFAB_TRACE
#include "verilated_fst_c.h"
#endif

// 1: evaluate once more after the falling edge, as rnnfab's first harness did (the benchmark's
// "legacy" profile measures what that cost; it changes no value).
#ifndef RNNFAB_FALLING_EDGE_EVAL
#define RNNFAB_FALLING_EDGE_EVAL 0
#endif

namespace {

constexpr int kMaxWordsPerBeat = 64;

struct Options {
  std::string stimulus;
  std::string result;
  std::string trace;
  double backpressure = 0.0;  // probability that out_ready is low in a cycle
  double inputGaps = 0.0;     // probability that a pending input is not offered in a cycle
  uint64_t seed = 1;
  uint64_t maxCycles = 1000000;
  uint64_t drainCycles = 64;
  int activationBits = 16;
  int wordsPerBeat = 1;  // batch: words of a stream beat
  int outWordsPerBeat = 0;  // words of an output beat (0: wordsPerBeat)
  int inWordsPerBeat = 0;  // words of an input beat (0: wordsPerBeat)
  uint64_t resetCycles = 4;
  uint64_t betweenResetCycles = 2;
};

// splitmix64: small, deterministic, good enough for stimulus randomness.
struct Random {
  uint64_t state;
  explicit Random(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "harness: %s\n", message.c_str());
  std::exit(3);
}

uint64_t parseCount(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  const uint64_t number = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0') fail(flag + ": expected a non-negative integer, got " + value);
  return number;
}

Options parseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; i++) {
    const std::string flag = argv[i];
    if (flag.rfind("+", 0) == 0) continue;  // +verilator+... handled by Verilated
    if (i + 1 >= argc) fail("missing value after " + flag);
    const std::string value = argv[++i];
    if (flag == "--stimulus") options.stimulus = value;
    else if (flag == "--result") options.result = value;
    else if (flag == "--trace") options.trace = value;
    else if (flag == "--backpressure") options.backpressure = std::strtod(value.c_str(), nullptr);
    else if (flag == "--input-gaps") options.inputGaps = std::strtod(value.c_str(), nullptr);
    else if (flag == "--seed") options.seed = parseCount(flag, value);
    else if (flag == "--max-cycles") options.maxCycles = parseCount(flag, value);
    else if (flag == "--drain-cycles") options.drainCycles = parseCount(flag, value);
    else if (flag == "--activation-bits") options.activationBits = std::atoi(value.c_str());
    else if (flag == "--words-per-beat") options.wordsPerBeat = std::atoi(value.c_str());
    else if (flag == "--out-words-per-beat") options.outWordsPerBeat = std::atoi(value.c_str());
    else if (flag == "--in-words-per-beat") options.inWordsPerBeat = std::atoi(value.c_str());
    else if (flag == "--reset-cycles") options.resetCycles = parseCount(flag, value);
    else if (flag == "--between-reset-cycles") options.betweenResetCycles = parseCount(flag, value);
    else fail("unknown flag " + flag);
  }
  if (options.stimulus.empty() || options.result.empty()) fail("--stimulus and --result are required");
  if (options.resetCycles < 1) fail("--reset-cycles: expected at least 1");
  if (options.activationBits < 1 || options.activationBits > 64) fail("--activation-bits: expected 1..64");
  if (options.wordsPerBeat < 1 || options.wordsPerBeat > kMaxWordsPerBeat) {
    fail("--words-per-beat: expected 1..64");
  }
  if (options.outWordsPerBeat == 0) options.outWordsPerBeat = options.wordsPerBeat;
  if (options.outWordsPerBeat < 1 || options.outWordsPerBeat > kMaxWordsPerBeat) {
    fail("--out-words-per-beat: expected 1..64");
  }
  if (options.inWordsPerBeat == 0) options.inWordsPerBeat = options.wordsPerBeat;
  if (options.inWordsPerBeat < 1 || options.inWordsPerBeat > kMaxWordsPerBeat) {
    fail("--in-words-per-beat: expected 1..64");
  }
  return options;
}

struct Sequence {
  uint64_t steps = 0;
  uint64_t maxCycles = 0;
  std::vector<int64_t> words;
};

struct Stimulus {
  int version = 1;
  uint64_t inputSize = 0;
  uint64_t outputSize = 0;
  std::vector<Sequence> sequences;
};

// Whitespace-separated tokens of a whole file (read at once; strtoll is far faster than fscanf).
class Tokens {
 public:
  explicit Tokens(const std::string& path) : path_(path) {
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) fail("cannot open stimulus " + path);
    char chunk[1 << 16];
    size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, file)) > 0) text_.append(chunk, got);
    std::fclose(file);
    cursor_ = text_.c_str();
  }
  std::string word() {
    skipSpace();
    const char* start = cursor_;
    while (*cursor_ && !isSpace(*cursor_)) cursor_++;
    return std::string(start, cursor_);
  }
  int64_t integer(const char* what) {
    skipSpace();
    char* end = nullptr;
    const long long value = std::strtoll(cursor_, &end, 10);
    if (end == cursor_ || (*end && !isSpace(*end))) fail(std::string("stimulus ") + what + " missing or malformed in " + path_);
    cursor_ = end;
    return value;
  }

 private:
  static bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
  void skipSpace() {
    while (*cursor_ && isSpace(*cursor_)) cursor_++;
  }
  std::string path_;
  std::string text_;
  const char* cursor_;
};

Stimulus readStimulus(const std::string& path, uint64_t defaultMaxCycles) {
  Tokens tokens(path);
  Stimulus stimulus;
  if (tokens.word() != "rnnfab-stimulus") fail("bad stimulus header in " + path);
  stimulus.version = static_cast<int>(tokens.integer("version"));
  if (stimulus.version != 1 && stimulus.version != 2) fail("unknown stimulus version in " + path);
  const int64_t first = tokens.integer("size");
  stimulus.inputSize = tokens.integer("inputSize");
  stimulus.outputSize = tokens.integer("outputSize");
  if (first < 1 || stimulus.inputSize < 1 || stimulus.outputSize < 1) fail("bad stimulus sizes in " + path);
  const uint64_t count = stimulus.version == 1 ? 1 : static_cast<uint64_t>(first);
  stimulus.sequences.resize(count);
  for (uint64_t s = 0; s < count; s++) {
    Sequence& sequence = stimulus.sequences[s];
    if (stimulus.version == 1) {
      sequence.steps = first;
      sequence.maxCycles = defaultMaxCycles;
    } else {
      if (tokens.word() != "sequence") fail("expected \"sequence\" in " + path);
      const int64_t steps = tokens.integer("steps");
      const int64_t maxCycles = tokens.integer("maxCycles");
      if (steps < 1 || maxCycles < 1) fail("bad sequence sizes in " + path);
      sequence.steps = steps;
      sequence.maxCycles = maxCycles;
    }
    sequence.words.resize(sequence.steps * stimulus.inputSize);
    for (auto& word : sequence.words) word = tokens.integer("word");
  }
  return stimulus;
}

int64_t signExtend(uint64_t raw, int bits) {
  const uint64_t mask = bits >= 64 ? ~0ULL : ((1ULL << bits) - 1);
  raw &= mask;
  const uint64_t sign = 1ULL << (bits - 1);
  return static_cast<int64_t>(raw ^ sign) - static_cast<int64_t>(sign);
}

// Stream ports: up to 64 bits Verilator gives an integer, wider a VlWide of 32-bit words. A beat
// holds `count` words of `bits` bits, word s at bit s * bits.
template <typename T>
void packBeat(T& port, const int64_t* words, int count, int bits, uint64_t mask) {
  uint64_t value = 0;
  for (int s = 0; s < count; s++) value |= (static_cast<uint64_t>(words[s]) & mask) << (s * bits);
  port = static_cast<T>(value);
}
template <std::size_t N>
void packBeat(VlWide<N>& port, const int64_t* words, int count, int bits, uint64_t mask) {
  for (std::size_t i = 0; i < N; i++) port[i] = 0;
  for (int s = 0; s < count; s++) {
    const uint64_t value = static_cast<uint64_t>(words[s]) & mask;
    for (int b = 0; b < bits; b++) {
      const int bit = s * bits + b;
      if ((value >> b) & 1) port[bit / 32] |= 1U << (bit % 32);
    }
  }
}
template <typename T>
void unpackBeat(const T& port, uint64_t* words, int count, int bits) {
  const uint64_t value = static_cast<uint64_t>(port);
  for (int s = 0; s < count; s++) words[s] = bits * s >= 64 ? 0 : value >> (s * bits);
}
template <std::size_t N>
void unpackBeat(const VlWide<N>& port, uint64_t* words, int count, int bits) {
  for (int s = 0; s < count; s++) {
    uint64_t value = 0;
    for (int b = 0; b < bits; b++) {
      const int bit = s * bits + b;
      value |= static_cast<uint64_t>((port[bit / 32] >> (bit % 32)) & 1U) << b;
    }
    words[s] = value;
  }
}

double cpuSecondsNow() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The counters of one sequence.
struct Counters {
  uint64_t cycle = 0;
  uint64_t nextInput = 0;
  uint64_t outputs = 0;
  uint64_t lastOutputCycle = 0;
  uint64_t firstOutputCycle = 0;
  uint64_t lastInputCycle = 0;
  uint64_t outputStallCycles = 0;   // out_valid && !out_ready
  uint64_t inputStarvedCycles = 0;  // in_ready && !in_valid while inputs remain
  uint64_t inputWaitCycles = 0;     // in_valid && !in_ready (accelerator busy)
  uint64_t protocolViolations = 0;
  uint64_t lastFlagErrors = 0;
  uint64_t extraBeats = 0;
  bool timedOut = false;
};

class Harness {
 public:
  Harness(const Options& options, VerilatedContext* context, FILE* result)
      : options_(options),
        top_(std::make_unique<Vdut>(context, "TOP")),
        result_(result),
        readyRandom_(options.seed * 2 + 1),
        gapRandom_(options.seed * 2 + 2),
        inputMask_(options.activationBits >= 64 ? ~0ULL : ((1ULL << options.activationBits) - 1)) {}

  void openTrace(VerilatedContext* context) {
#if RNNFAB_TRACE
    if (options_.trace.empty()) return;
    context->traceEverOn(true);
    trace_ = std::make_unique<VerilatedFstC>();
    top_->trace(trace_.get(), 99);
    trace_->open(options_.trace.c_str());
#else
    (void)context;
    if (!options_.trace.empty()) fail("this harness was built without --trace-fst");
#endif
  }

  // Hold rst high for `cycles` rising edges with the streams idle; ends with the clock low.
  void reset(uint64_t cycles) {
    top_->rst = 1;
    top_->in_valid = 0;
    const int64_t zeros[kMaxWordsPerBeat] = {};
    packBeat(top_->in_data, zeros, options_.inWordsPerBeat, options_.activationBits, inputMask_);
    top_->out_ready = 0;
    for (uint64_t i = 0; i < cycles; i++) {
      evalAt(0);
      evalAt(1);
    }
    top_->rst = 0;
  }

  // Stream one sequence (reset already done) and write its beats; returns its counters.
  Counters run(const Sequence& sequence, uint64_t inputSize, uint64_t outputSize) {
    Counters c;
    const uint64_t totalInputs = sequence.words.size();
    const uint64_t expectedOutputs = sequence.steps * outputSize;
    const bool gaps = options_.inputGaps > 0.0;
    const bool backpressure = options_.backpressure > 0.0;
    bool pending = false;
    bool previousOutputHeld = false;  // out_valid && !out_ready in the previous cycle
    const int inBeatWords = options_.inWordsPerBeat;
    const int outBeatWords = options_.outWordsPerBeat;
    const int64_t zeros[kMaxWordsPerBeat] = {};
    uint64_t outWords[kMaxWordsPerBeat] = {};
    uint64_t previousWords[kMaxWordsPerBeat] = {};
    bool previousLast = false;
    while (true) {
      if (!pending && c.nextInput < totalInputs) {
        pending = !gaps || gapRandom_.uniform() >= options_.inputGaps;
      }
      const bool outReady = !backpressure || readyRandom_.uniform() >= options_.backpressure;
      top_->in_valid = pending ? 1 : 0;
      // a step's last beat may hold fewer inputs than lanes (wide input; batch beats are whole)
      const uint64_t inStepLeft = inputSize - c.nextInput % inputSize;
      const int inWords = inStepLeft < static_cast<uint64_t>(inBeatWords) ? static_cast<int>(inStepLeft) : inBeatWords;
      packBeat(top_->in_data, c.nextInput < totalInputs ? &sequence.words[c.nextInput] : zeros, inWords,
               options_.activationBits, inputMask_);
      top_->out_ready = outReady ? 1 : 0;
      evalAt(0);
      c.cycle++;

      const bool inReady = top_->in_ready;
      const bool outValid = top_->out_valid;
      unpackBeat(top_->out_data, outWords, outBeatWords, options_.activationBits);
      const bool outLast = top_->out_last;
      if (outValid && !outReady) c.outputStallCycles++;
      if (inReady && !pending && c.nextInput < totalInputs) c.inputStarvedCycles++;
      if (pending && !inReady) c.inputWaitCycles++;
      bool sameData = true;
      for (int w = 0; w < outBeatWords; w++) {
        const uint64_t mask = inputMask_;
        sameData = sameData && ((outWords[w] ^ previousWords[w]) & mask) == 0;
        previousWords[w] = outWords[w];
      }
      if (previousOutputHeld && (!outValid || !sameData || outLast != previousLast)) {
        c.protocolViolations++;  // a held beat changed or vanished before it transferred
      }
      previousOutputHeld = outValid && !outReady;
      previousLast = outLast;
      if (outValid && outReady) {
        // a step's last beat may hold fewer outputs than lanes (wide output)
        const uint64_t stepLeft = outputSize - c.outputs % outputSize;
        const int words = stepLeft < static_cast<uint64_t>(outBeatWords) ? static_cast<int>(stepLeft) : outBeatWords;
        for (int w = 0; w < words; w++) {
          const int64_t value = signExtend(outWords[w], options_.activationBits);
          std::fprintf(result_, "beat %" PRIu64 " %" PRId64 " %d\n", c.cycle, value, outLast ? 1 : 0);
        }
        const bool lastExpected = (c.outputs + words) % outputSize == 0;
        if (outLast != lastExpected) c.lastFlagErrors++;
        if (c.outputs == 0) c.firstOutputCycle = c.cycle;
        c.outputs += words;
        c.lastOutputCycle = c.cycle;
      }
      if (pending && inReady) {
        pending = false;
        c.nextInput += inWords;
        c.lastInputCycle = c.cycle;
      }
      evalAt(1);
      if (RNNFAB_FALLING_EDGE_EVAL) evalAt(0);

      if (c.outputs >= expectedOutputs) break;
      if (c.cycle >= sequence.maxCycles) {
        c.timedOut = true;
        break;
      }
      if ((c.cycle & 0xffff) == 0) reportProgress(c, expectedOutputs);
    }
    if (!c.timedOut) drain(c);
    return c;
  }

  void finish() {
    top_->final();
#if RNNFAB_TRACE
    if (trace_) trace_->close();
#endif
  }

 private:
  void evalAt(int clockLevel) {
    top_->clk = clockLevel;
    top_->eval();
#if RNNFAB_TRACE
    if (trace_) trace_->dump(time_);
#endif
    time_++;
  }

  // Keep the output ready and offer nothing; any further beat is an extra output.
  void drain(Counters& c) {
    top_->in_valid = 0;
    top_->out_ready = 1;
    for (uint64_t i = 0; i < options_.drainCycles; i++) {
      evalAt(0);
      if (top_->out_valid) c.extraBeats++;
      evalAt(1);
      if (RNNFAB_FALLING_EDGE_EVAL) evalAt(0);
    }
  }

  // Every 65536 cycles look at the clock; print a progress line every 10 s of wall time.
  void reportProgress(const Counters& c, uint64_t expectedOutputs) {
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - lastProgressTime_).count() < 10.0) return;
    lastProgressTime_ = now;
    std::fprintf(stdout, "progress cycle %" PRIu64 " outputs %" PRIu64 " of %" PRIu64 "\n", c.cycle,
                 c.outputs, expectedOutputs);
    std::fflush(stdout);
  }

  const Options& options_;
  std::unique_ptr<Vdut> top_;
  FILE* result_;
  Random readyRandom_;
  Random gapRandom_;
  const uint64_t inputMask_;
  uint64_t time_ = 0;
  std::chrono::steady_clock::time_point lastProgressTime_ = std::chrono::steady_clock::now();
#if RNNFAB_TRACE
  std::unique_ptr<VerilatedFstC> trace_;
#endif
};

void writeSummary(FILE* result, const Counters& c, uint64_t expectedOutputs, double wallSeconds,
                  double cpuSeconds) {
  const struct {
    const char* name;
    uint64_t value;
  } counts[] = {
      {"cycles", c.lastOutputCycle},
      {"simulatedCycles", c.cycle},
      {"firstOutputCycle", c.firstOutputCycle},
      {"lastInputCycle", c.lastInputCycle},
      {"inputsAccepted", c.nextInput},
      {"outputs", c.outputs},
      {"expectedOutputs", expectedOutputs},
      {"outputStallCycles", c.outputStallCycles},
      {"inputStarvedCycles", c.inputStarvedCycles},
      {"inputWaitCycles", c.inputWaitCycles},
      {"protocolViolations", c.protocolViolations},
      {"lastFlagErrors", c.lastFlagErrors},
      {"extraBeats", c.extraBeats},
  };
  for (const auto& count : counts) {
    std::fprintf(result, "summary %s %" PRIu64 "\n", count.name, count.value);
  }
  std::fprintf(result, "summary timedOut %d\n", c.timedOut ? 1 : 0);
  std::fprintf(result, "summary wallSeconds %.6f\n", wallSeconds);
  std::fprintf(result, "summary cpuSeconds %.6f\n", cpuSeconds);
}

}  // namespace

int main(int argc, char** argv) {
  const auto processStart = std::chrono::steady_clock::now();
  auto context = std::make_unique<VerilatedContext>();
  context->commandArgs(argc, argv);
  const Options options = parseOptions(argc, argv);
  const Stimulus stimulus = readStimulus(options.stimulus, options.maxCycles);

  FILE* result = std::fopen(options.result.c_str(), "w");
  if (!result) fail("cannot write " + options.result);
  static char resultBuffer[1 << 20];
  std::setvbuf(result, resultBuffer, _IOFBF, sizeof resultBuffer);

  Harness harness(options, context.get(), result);
  harness.openTrace(context.get());
  // The model's initial blocks ($readmemh of the memory images) run in the first evaluation:
  // one idle cycle in reset, timed apart as initialization.
  harness.reset(1);
  const double initSeconds = secondsSince(processStart);

  for (size_t s = 0; s < stimulus.sequences.size(); s++) {
    const Sequence& sequence = stimulus.sequences[s];
    const auto started = std::chrono::steady_clock::now();
    const double cpuStarted = cpuSecondsNow();
    if (stimulus.version == 2) std::fprintf(result, "sequence %zu\n", s);
    harness.reset(s == 0 ? options.resetCycles - 1 : options.betweenResetCycles);
    const Counters counters = harness.run(sequence, stimulus.inputSize, stimulus.outputSize);
    writeSummary(result, counters, sequence.steps * stimulus.outputSize, secondsSince(started),
                 cpuSecondsNow() - cpuStarted);
    if (s == 0) std::fprintf(result, "summary initSeconds %.6f\n", initSeconds);
    std::fprintf(result, "summary end 1\n");
  }
  harness.finish();
  std::fclose(result);
  return 0;
}
