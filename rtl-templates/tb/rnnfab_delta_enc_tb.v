`default_nettype none
`timescale 1ns / 1ps
// rnnfab_delta_enc_tb: unit test bench of rnnfab_delta_enc (tests/rtl_delta_enc_test.ts). Word i
// of +in=<file> (COUNT words: {last, index, value}, hex) is offered in order, with random gaps
// when PRESSURE is set; the fired queue is read with a random ready when PRESSURE is set (a
// 16-bit LFSR seeded with SEED drives both). Every entry taken from the queue is written to
// +out=<file> as "<none> <last> <index> <delta>" (hex); the run ends when the words are used and
// the encoder is idle.
module rnnfab_delta_enc_tb #(
    parameter AB = 16,          // activation width
    parameter COLS = 8,         // columns of the layer
    parameter SPLIT = 4,        // first column of the h part
    parameter QUEUE_DEPTH = 4,  // fired-queue entries
    parameter THETA_X = 0,      // theta_x (activation LSBs)
    parameter THETA_H = 0,      // theta_h (activation LSBs)
    parameter PRESSURE = 1,     // 1: random input gaps and random output ready
    parameter SEED = 1,         // LFSR seed (not 0)
    parameter COUNT = 1         // stimulus words
);
  localparam IDX_W = (COLS < 2) ? 1 : $clog2(COLS);
  localparam W = 1 + IDX_W + AB;
  wire clk, more;
  wire [31:0] cycle;
  wire [W-1:0] word;
  reg [15:0] lfsr_q = SEED[15:0];
  wire rst = (cycle < 2);
  wire in_valid = more && !rst && (PRESSURE == 0 || lfsr_q[0]);
  wire out_ready = (PRESSURE == 0) || lfsr_q[5] || lfsr_q[9];
  wire in_ready, out_valid, out_last, out_none, idle;
  wire [IDX_W-1:0] out_index;
  wire [AB:0] out_delta;
  wire [$clog2(QUEUE_DEPTH):0] level;  // (QUEUE_DEPTH >= 2: its QW is $clog2(QUEUE_DEPTH))
  wire unused_level = &{1'b0, level};
  wire done = !more && !rst && idle;
  rnnfab_tb_io #(.W(W), .COUNT(COUNT)) io (
      .clk(clk), .cycle(cycle), .take(in_valid && in_ready), .more(more), .word(word),
      .done(done)
  );
  always @(posedge clk) begin
    lfsr_q <= {1'b0, lfsr_q[15:1]} ^ (lfsr_q[0] ? 16'hB400 : 16'h0000);
    if (out_valid && out_ready)
      $fdisplay(io.fd, "%0d %0d %h %h", out_none, out_last, out_index, out_delta);
  end

  rnnfab_delta_enc #(
      .AB(AB), .COLS(COLS), .SPLIT(SPLIT), .QUEUE_DEPTH(QUEUE_DEPTH)
  ) dut (
      .clk(clk), .rst(rst), .clear(1'b0), .theta_x(THETA_X[AB-1:0]), .theta_h(THETA_H[AB-1:0]),
      .in_valid(in_valid), .in_ready(in_ready), .in_index(word[AB+:IDX_W]),
      .in_value(word[AB-1:0]), .in_last(word[W-1]),
      .out_valid(out_valid), .out_ready(out_ready), .out_index(out_index),
      .out_delta(out_delta), .out_last(out_last), .out_none(out_none), .level(level),
      .idle(idle)
  );
endmodule
`default_nettype wire
