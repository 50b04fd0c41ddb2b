`default_nettype none
// rnnfab Icarus testbench: the Verilog twin of sim/harness/verilator_main.cpp. It reads the same
// stimulus file, drives the streaming ports of rnnfab_top with optional random output
// back-pressure and input gaps, and writes the same "beat"/"summary" result file.
// Plusargs: +stimulus=<file> +result=<file>. Cycle 1 is the first rising edge after reset.
// Batch designs (BATCH > 1): a stream beat carries BATCH words, word s in [s*AB +: AB]; the
// stimulus lists the words beat by beat (INPUT_SIZE and OUTPUT_SIZE count words) and the result
// has one "beat" line per word. Wide output (gen --out-words W, OUT_WORDS = W): an output beat
// carries W consecutive elements, element e + j in [j*AB +: AB]; one "beat" line per element, a
// step's last beat only its elements'. Wide input (gen --in-words W, IN_WORDS = W): an input beat
// carries W consecutive elements of a step likewise, a step's last beat only its elements (the
// lanes past the input size are zero).
module rnnfab_tb #(
  parameter AB = 16,                          // activation width of a stream word
  parameter BATCH = 1,                        // words per stream beat (gen --batch)
  parameter OUT_WORDS = 1,                    // elements per output beat (gen --out-words)
  parameter OUT_BEAT = BATCH * OUT_WORDS,     // words of an output beat
  parameter IN_WORDS = 1,                     // elements per input beat (gen --in-words)
  parameter IN_BEAT = BATCH * IN_WORDS,       // words of an input beat
  parameter STEPS = 1,                        // time steps in the stimulus
  parameter INPUT_SIZE = 1,                   // input words per step
  parameter OUTPUT_SIZE = 1,                  // output words per step
  parameter TOTAL_INPUTS = STEPS * INPUT_SIZE,  // words in the stimulus file
  parameter EXPECTED_OUTPUTS = STEPS * OUTPUT_SIZE,  // output beats to wait for
  parameter BACKPRESSURE_PER_65536 = 0,       // out_ready is low with probability this/65536
  parameter GAPS_PER_65536 = 0,               // a pending input is withheld with this probability
  parameter SEED = 1,                         // seed of $random
  parameter MAX_CYCLES = 1000000,             // give up after this many cycles
  parameter DRAIN_CYCLES = 64,                // cycles watched for extra beats after the last one
  parameter RESET_CYCLES = 4                  // cycles rst is held high
);
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [IN_BEAT*AB-1:0] in_data = {IN_BEAT * AB{1'b0}};
  reg in_valid = 1'b0;
  wire in_ready;
  wire [OUT_BEAT*AB-1:0] out_data;
  wire out_valid;
  reg out_ready = 1'b0;
  wire out_last;

  rnnfab_top dut (
    .clk(clk),
    .rst(rst),
    .in_data(in_data),
    .in_valid(in_valid),
    .in_ready(in_ready),
    .out_data(out_data),
    .out_valid(out_valid),
    .out_ready(out_ready),
    .out_last(out_last)
  );

  always #5 clk = ~clk;

  reg [AB-1:0] words [0:TOTAL_INPUTS-1];
  reg [8*1024-1:0] stimulus_path;
  reg [8*1024-1:0] result_path;
  reg [8*32-1:0] magic;
  integer fd_in, fd_out, scanned, version, steps_read, input_size_read, output_size_read, value, k;
  integer w, beat_words, in_beat_words;
  integer seed_ready, seed_gap;
  reg [31:0] draw;
  integer cycle, next_input, outputs, last_output_cycle, first_output_cycle, last_input_cycle;
  integer output_stall_cycles, input_starved_cycles, input_wait_cycles;
  integer protocol_violations, last_flag_errors, extra_beats, timed_out;
  reg pending, in_fire, out_fire, held;
  reg [OUT_BEAT*AB-1:0] held_data;
  reg held_last;

  initial begin
    if (!$value$plusargs("stimulus=%s", stimulus_path)) begin
      $display("harness: +stimulus=<file> is required");
      $finish;
    end
    if (!$value$plusargs("result=%s", result_path)) begin
      $display("harness: +result=<file> is required");
      $finish;
    end
    fd_in = $fopen(stimulus_path, "r");
    if (fd_in == 0) begin
      $display("harness: cannot open stimulus");
      $finish;
    end
    scanned = $fscanf(fd_in, "%s %d", magic, version);
    scanned = $fscanf(fd_in, "%d %d %d", steps_read, input_size_read, output_size_read);
    if (steps_read != STEPS || input_size_read != INPUT_SIZE || output_size_read != OUTPUT_SIZE)
    begin
      $display("harness: stimulus sizes do not match the testbench parameters");
      $finish;
    end
    for (k = 0; k < TOTAL_INPUTS; k = k + 1) begin
      scanned = $fscanf(fd_in, "%d", value);
      words[k] = value[AB-1:0];
    end
    $fclose(fd_in);
    fd_out = $fopen(result_path, "w");

    seed_ready = SEED * 1103515245 + 12345;
    seed_gap = SEED * 134775813 + 1013904223;
    cycle = 0;
    next_input = 0;
    outputs = 0;
    last_output_cycle = 0;
    first_output_cycle = 0;
    last_input_cycle = 0;
    output_stall_cycles = 0;
    input_starved_cycles = 0;
    input_wait_cycles = 0;
    protocol_violations = 0;
    last_flag_errors = 0;
    extra_beats = 0;
    timed_out = 0;
    pending = 1'b0;
    held = 1'b0;
    held_data = {OUT_BEAT * AB{1'b0}};
    held_last = 1'b0;

    repeat (RESET_CYCLES) @(posedge clk);
    #1 rst = 1'b0;
    while (outputs < EXPECTED_OUTPUTS && timed_out == 0) begin
      if (!pending && next_input < TOTAL_INPUTS) begin
        draw = $random(seed_gap);
        pending = GAPS_PER_65536 == 0 || draw[31:16] >= GAPS_PER_65536;
      end
      in_valid = pending;
      // a step's last beat may hold fewer inputs than lanes (wide input; batch beats are whole)
      in_beat_words = INPUT_SIZE - next_input % INPUT_SIZE;
      if (in_beat_words > IN_BEAT) in_beat_words = IN_BEAT;
      for (w = 0; w < IN_BEAT; w = w + 1)
        in_data[w*AB+:AB] = w < in_beat_words && next_input + w < TOTAL_INPUTS ?
            words[next_input+w] : {AB{1'b0}};
      draw = $random(seed_ready);
      out_ready = BACKPRESSURE_PER_65536 == 0 || draw[31:16] >= BACKPRESSURE_PER_65536;
      #3;
      cycle = cycle + 1;
      in_fire = in_valid && in_ready;
      out_fire = out_valid && out_ready;
      if (out_valid && !out_ready) output_stall_cycles = output_stall_cycles + 1;
      if (in_ready && !in_valid && next_input < TOTAL_INPUTS)
        input_starved_cycles = input_starved_cycles + 1;
      if (in_valid && !in_ready) input_wait_cycles = input_wait_cycles + 1;
      if (held && (out_valid !== 1'b1 || out_data !== held_data || out_last !== held_last))
        protocol_violations = protocol_violations + 1;
      held = out_valid && !out_ready;
      held_data = out_data;
      held_last = out_last;
      if (out_fire) begin
        // a step's last beat may hold fewer outputs than lanes (wide output)
        beat_words = OUTPUT_SIZE - outputs % OUTPUT_SIZE;
        if (beat_words > OUT_BEAT) beat_words = OUT_BEAT;
        for (w = 0; w < beat_words; w = w + 1)
          $fdisplay(fd_out, "beat %0d %0d %0d", cycle, $signed(out_data[w*AB+:AB]), out_last);
        if (out_last !== (((outputs + beat_words) % OUTPUT_SIZE) == 0))
          last_flag_errors = last_flag_errors + 1;
        if (outputs == 0) first_output_cycle = cycle;
        outputs = outputs + beat_words;
        last_output_cycle = cycle;
      end
      if (in_fire) begin
        pending = 1'b0;
        next_input = next_input + in_beat_words;
        last_input_cycle = cycle;
      end
      @(posedge clk);
      #1;
      if (outputs < EXPECTED_OUTPUTS && cycle >= MAX_CYCLES) timed_out = 1;
    end
    if (timed_out == 0) begin
      in_valid = 1'b0;
      out_ready = 1'b1;
      repeat (DRAIN_CYCLES) begin
        #3;
        if (out_valid) extra_beats = extra_beats + 1;
        @(posedge clk);
        #1;
      end
    end
    $fdisplay(fd_out, "summary cycles %0d", last_output_cycle);
    $fdisplay(fd_out, "summary simulatedCycles %0d", cycle);
    $fdisplay(fd_out, "summary firstOutputCycle %0d", first_output_cycle);
    $fdisplay(fd_out, "summary lastInputCycle %0d", last_input_cycle);
    $fdisplay(fd_out, "summary inputsAccepted %0d", next_input);
    $fdisplay(fd_out, "summary outputs %0d", outputs);
    $fdisplay(fd_out, "summary expectedOutputs %0d", EXPECTED_OUTPUTS);
    $fdisplay(fd_out, "summary outputStallCycles %0d", output_stall_cycles);
    $fdisplay(fd_out, "summary inputStarvedCycles %0d", input_starved_cycles);
    $fdisplay(fd_out, "summary inputWaitCycles %0d", input_wait_cycles);
    $fdisplay(fd_out, "summary protocolViolations %0d", protocol_violations);
    $fdisplay(fd_out, "summary lastFlagErrors %0d", last_flag_errors);
    $fdisplay(fd_out, "summary extraBeats %0d", extra_beats);
    $fdisplay(fd_out, "summary timedOut %0d", timed_out);
    $fdisplay(fd_out, "summary end 1");
    $fclose(fd_out);
    $finish;
  end
endmodule
`default_nettype wire
