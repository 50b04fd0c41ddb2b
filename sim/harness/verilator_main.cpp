// rnnfab Verilator harness: drives the streaming ports of a generated accelerator (top module
// verilated with --prefix Vdut), applies optional random output back-pressure and input gaps,
// records every output beat with the cycle it transferred, and writes a plain-text result file
// that sim/verilator.ts parses. The comparison with the golden model happens in TypeScript.
//
// Stimulus file (text): "rnnfab-stimulus 1", then "steps inputSize outputSize", then
// steps*inputSize signed decimal integers (activation format), whitespace separated.
//
// Result file (text): one "beat <cycle> <value> <last>" line per transferred output beat, then
// "summary <key> <value>" lines.
//
// Cycle 1 is the first rising edge after reset is released; a beat transfers at a rising edge
// when valid && ready were both high just before it.

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Vdut.h"
#include "verilated.h"
#if RNNFAB_TRACE
#include "verilated_fst_c.h"
#endif


namespace {

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
  uint64_t resetCycles = 4;
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
    else if (flag == "--seed") options.seed = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--max-cycles") options.maxCycles = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--drain-cycles") options.drainCycles = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--activation-bits") options.activationBits = std::atoi(value.c_str());
    else if (flag == "--reset-cycles") options.resetCycles = std::strtoull(value.c_str(), nullptr, 10);
    else fail("unknown flag " + flag);
  }
  if (options.stimulus.empty() || options.result.empty()) fail("--stimulus and --result are required");
  return options;
}

struct Stimulus {
  uint64_t steps = 0;
  uint64_t inputSize = 0;
  uint64_t outputSize = 0;
  std::vector<int64_t> words;
};

Stimulus readStimulus(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (!file) fail("cannot open stimulus " + path);
  Stimulus stimulus;
  char magic[64] = {0};
  int version = 0;
  if (std::fscanf(file, "%63s %d", magic, &version) != 2 || std::strcmp(magic, "rnnfab-stimulus") != 0 ||
      version != 1) {
    fail("bad stimulus header in " + path);
  }
  if (std::fscanf(file, "%" SCNu64 " %" SCNu64 " %" SCNu64, &stimulus.steps, &stimulus.inputSize,
                  &stimulus.outputSize) != 3) {
    fail("bad stimulus sizes in " + path);
  }
  const uint64_t count = stimulus.steps * stimulus.inputSize;
  stimulus.words.resize(count);
  for (uint64_t i = 0; i < count; i++) {
    long long value = 0;
    if (std::fscanf(file, "%lld", &value) != 1) fail("stimulus ends early in " + path);
    stimulus.words[i] = value;
  }
  std::fclose(file);
  return stimulus;
}

int64_t signExtend(uint64_t raw, int bits) {
  const uint64_t mask = bits >= 64 ? ~0ULL : ((1ULL << bits) - 1);
  raw &= mask;
  const uint64_t sign = 1ULL << (bits - 1);
  return static_cast<int64_t>(raw ^ sign) - static_cast<int64_t>(sign);
}

}  // namespace

int main(int argc, char** argv) {
  const auto wallStart = std::chrono::steady_clock::now();
  auto context = std::make_unique<VerilatedContext>();
  context->commandArgs(argc, argv);
  const Options options = parseOptions(argc, argv);
  const Stimulus stimulus = readStimulus(options.stimulus);
  auto top = std::make_unique<Vdut>(context.get(), "TOP");

#if RNNFAB_TRACE
  std::unique_ptr<VerilatedFstC> trace;
  if (!options.trace.empty()) {
    context->traceEverOn(true);
    trace = std::make_unique<VerilatedFstC>();
    top->trace(trace.get(), 99);
    trace->open(options.trace.c_str());
  }
#else
  if (!options.trace.empty()) fail("this harness was built without --trace-fst");
#endif

  FILE* result = std::fopen(options.result.c_str(), "w");
  if (!result) fail("cannot write " + options.result);

  Random readyRandom(options.seed * 2 + 1);
  Random gapRandom(options.seed * 2 + 2);
  const uint64_t inputMask =
      options.activationBits >= 64 ? ~0ULL : ((1ULL << options.activationBits) - 1);
  const uint64_t totalInputs = stimulus.words.size();
  const uint64_t expectedOutputs = stimulus.steps * stimulus.outputSize;

  uint64_t time = 0;
  auto halfCycle = [&](int clockLevel) {
    top->clk = clockLevel;
    top->eval();
#if RNNFAB_TRACE
    if (trace) trace->dump(time);
#endif
    time++;
  };

  // Reset: rst high for resetCycles rising edges, inputs idle.
  top->clk = 0;
  top->rst = 1;
  top->in_valid = 0;
  top->in_data = 0;
  top->out_ready = 0;
  halfCycle(0);
  for (uint64_t i = 0; i < options.resetCycles; i++) {
    halfCycle(1);
    halfCycle(0);
  }
  top->rst = 0;

  uint64_t cycle = 0;
  uint64_t nextInput = 0;
  bool pending = false;
  uint64_t outputs = 0;
  uint64_t lastOutputCycle = 0;
  uint64_t firstOutputCycle = 0;
  uint64_t lastInputCycle = 0;
  uint64_t outputStallCycles = 0;   // out_valid && !out_ready
  uint64_t inputStarvedCycles = 0;  // in_ready && !in_valid while inputs remain
  uint64_t inputWaitCycles = 0;     // in_valid && !in_ready (accelerator busy)
  uint64_t protocolViolations = 0;
  uint64_t lastFlagErrors = 0;
  bool previousOutputHeld = false;  // out_valid && !out_ready in the previous cycle
  uint64_t previousData = 0;
  uint64_t previousLast = 0;
  bool timedOut = false;
  auto lastProgress = std::chrono::steady_clock::now();

  while (true) {
    if (!pending && nextInput < totalInputs) {
      pending = options.inputGaps <= 0.0 || gapRandom.uniform() >= options.inputGaps;
    }
    top->in_valid = pending ? 1 : 0;
    top->in_data = nextInput < totalInputs ? (static_cast<uint64_t>(stimulus.words[nextInput]) & inputMask) : 0;
    top->out_ready = (options.backpressure <= 0.0 || readyRandom.uniform() >= options.backpressure) ? 1 : 0;
    top->clk = 0;
    top->eval();
    cycle++;

    const bool inFire = top->in_valid && top->in_ready;
    const bool outValid = top->out_valid;
    const bool outFire = outValid && top->out_ready;
    const uint64_t outData = static_cast<uint64_t>(top->out_data);
    const uint64_t outLast = top->out_last ? 1 : 0;
    if (outValid && !top->out_ready) outputStallCycles++;
    if (top->in_ready && !top->in_valid && nextInput < totalInputs) inputStarvedCycles++;
    if (top->in_valid && !top->in_ready) inputWaitCycles++;
    if (previousOutputHeld && (!outValid || outData != previousData || outLast != previousLast)) {
      protocolViolations++;  // a held beat changed or vanished before it transferred
    }
    previousOutputHeld = outValid && !top->out_ready;
    previousData = outData;
    previousLast = outLast;

    if (outFire) {
      const int64_t value = signExtend(outData, options.activationBits);
      std::fprintf(result, "beat %" PRIu64 " %" PRId64 " %" PRIu64 "\n", cycle, value, outLast);
      const bool lastExpected = (outputs % stimulus.outputSize) == stimulus.outputSize - 1;
      if ((outLast != 0) != lastExpected) lastFlagErrors++;
      if (outputs == 0) firstOutputCycle = cycle;
      outputs++;
      lastOutputCycle = cycle;
    }
    if (inFire) {
      pending = false;
      nextInput++;
      lastInputCycle = cycle;
    }

    halfCycle(1);
    halfCycle(0);

    if (outputs >= expectedOutputs) break;
    if (cycle >= options.maxCycles) {
      timedOut = true;
      break;
    }
    if ((cycle & 0xffff) == 0) {  // every 65536 cycles, look at the clock; report every 10 s
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - lastProgress).count() >= 10.0) {
        lastProgress = now;
        std::fprintf(stdout, "progress cycle %" PRIu64 " outputs %" PRIu64 " of %" PRIu64 "\n",
                     cycle, outputs, expectedOutputs);
        std::fflush(stdout);
      }
    }
  }

  // Drain: keep the output ready and offer nothing; any further beat is an extra output.
  uint64_t extraBeats = 0;
  if (!timedOut) {
    top->in_valid = 0;
    top->out_ready = 1;
    for (uint64_t i = 0; i < options.drainCycles; i++) {
      top->clk = 0;
      top->eval();
      if (top->out_valid) extraBeats++;
      halfCycle(1);
      halfCycle(0);
    }
  }

  top->final();
#if RNNFAB_TRACE
  if (trace) trace->close();
#endif
  const double wallSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  std::fprintf(result, "summary cycles %" PRIu64 "\n", lastOutputCycle);
  std::fprintf(result, "summary simulatedCycles %" PRIu64 "\n", cycle);
  std::fprintf(result, "summary firstOutputCycle %" PRIu64 "\n", firstOutputCycle);
  std::fprintf(result, "summary lastInputCycle %" PRIu64 "\n", lastInputCycle);
  std::fprintf(result, "summary inputsAccepted %" PRIu64 "\n", nextInput);
  std::fprintf(result, "summary outputs %" PRIu64 "\n", outputs);
  std::fprintf(result, "summary expectedOutputs %" PRIu64 "\n", expectedOutputs);
  std::fprintf(result, "summary outputStallCycles %" PRIu64 "\n", outputStallCycles);
  std::fprintf(result, "summary inputStarvedCycles %" PRIu64 "\n", inputStarvedCycles);
  std::fprintf(result, "summary inputWaitCycles %" PRIu64 "\n", inputWaitCycles);
  std::fprintf(result, "summary protocolViolations %" PRIu64 "\n", protocolViolations);
  std::fprintf(result, "summary lastFlagErrors %" PRIu64 "\n", lastFlagErrors);
  std::fprintf(result, "summary extraBeats %" PRIu64 "\n", extraBeats);
  std::fprintf(result, "summary timedOut %d\n", timedOut ? 1 : 0);
  std::fprintf(result, "summary wallSeconds %.6f\n", wallSeconds);
  std::fprintf(result, "summary end 1\n");
  std::fclose(result);
  return 0;
}
