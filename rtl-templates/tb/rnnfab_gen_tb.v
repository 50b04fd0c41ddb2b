`default_nettype none
`timescale 1ns / 1ps
// rnnfab_gen_tb: the small self-checking-by-file test bench of the generator's own tests
// (tests/gen_sim_test.ts); the project's simulation flow is sim/ (deno task sim).
// Reads STEPS * IN_SIZE input words (hex, two's complement, one per line) from +stim=<file>,
// offers them on the input stream whenever any remain, and writes one line
// "<cycle> <value>" per output beat to +out=<file>. Cycle 1 is the first rising edge after reset.
// With BACKPRESSURE > 0, out_ready is low in about BACKPRESSURE percent of the cycles; with
// RESET_AT > 0, reset is asserted again for 2 cycles after that cycle and the whole sequence is
// replayed (only the beats after the second reset are written, cycles counted from it).
module rnnfab_gen_tb #(
    parameter AB = 16,           // activation width
    parameter IN_SIZE = 1,       // input words per step
    parameter OUT_SIZE = 1,      // output words per step
    parameter STEPS = 1,         // time steps
    parameter BACKPRESSURE = 0,  // percent of cycles with out_ready low
    parameter RESET_AT = 0,      // cycle of a mid-sequence reset (0: none)
    parameter MAX_CYCLES = 100000  // give up after this many cycles
);
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [AB-1:0] in_data = {AB{1'b0}};
  reg in_valid = 1'b0;
  wire in_ready;
  wire [AB-1:0] out_data;
  wire out_valid;
  reg out_ready = 1'b1;
  wire out_last;
  rnnfab_top dut (
      .clk(clk), .rst(rst), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
      .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready), .out_last(out_last)
  );
  always #5 clk = ~clk;

  reg [AB-1:0] words[0:STEPS*IN_SIZE-1];
  reg [8*512-1:0] stim_path, out_path;
  integer fd, cycle, sent, got, seed, replayed;
  initial begin
    if (!$value$plusargs("stim=%s", stim_path) || !$value$plusargs("out=%s", out_path)) begin
      $display("rnnfab_gen_tb: +stim=<file> and +out=<file> are required");
      $finish;
    end
    $readmemh(stim_path, words);
    fd = $fopen(out_path, "w");
    seed = 12345;
    replayed = 0;
    cycle = 0;
    sent = 0;
    got = 0;
    repeat (3) @(posedge clk);
    #1 rst = 1'b0;
    while (got < STEPS * OUT_SIZE && cycle < MAX_CYCLES) begin
      in_valid = sent < STEPS * IN_SIZE;
      in_data = in_valid ? words[sent] : {AB{1'b0}};
      out_ready = BACKPRESSURE == 0 || ($unsigned($random(seed)) % 100) >= BACKPRESSURE;
      #3;
      cycle = cycle + 1;
      if (in_valid && in_ready) sent = sent + 1;
      if (out_valid && out_ready) begin
        $fdisplay(fd, "%0d %0d", cycle, $signed(out_data));
        got = got + 1;
      end
      @(posedge clk);
      #1;
      if (RESET_AT > 0 && !replayed && cycle == RESET_AT) begin
        rst = 1'b1;
        in_valid = 1'b0;
        repeat (2) @(posedge clk);
        #1 rst = 1'b0;
        replayed = 1;
        $fclose(fd);
        fd = $fopen(out_path, "w");
        cycle = 0;
        sent = 0;
        got = 0;
      end
    end
    $fdisplay(fd, "end %0d", cycle);
    $fclose(fd);
    $finish;
  end
endmodule
`default_nettype wire
