`default_nettype none
`timescale 1ns / 1ps
// rnnfab_act_tb: unit test bench of rnnfab_act (tests/rtl_act_test.ts). A sigmoid and a tanh
// unit take the same input: word i of +in=<file> (COUNT words of AB bits, hex) in cycle i. Every
// cycle, "<cycle> <sigmoid y> <tanh y>" (hex) is written to +out=<file>, for COUNT + LATENCY
// cycles; the test expects the result of word i in cycle i + LATENCY and compares it with the
// golden model.
module rnnfab_act_tb #(
    parameter AB = 16,                   // activation width
    parameter AF = 12,                   // activation fraction bits
    parameter SIG_S = 4,                 // sigmoid table step log2
    parameter SIG_R = 3,                 // sigmoid table range log2
    parameter TANH_S = 4,                // tanh table step log2
    parameter TANH_R = 3,                // tanh table range log2
    parameter SIG_FILE = "sigmoid.hex",  // sigmoid table image
    parameter TANH_FILE = "tanh.hex",    // tanh table image
    parameter LATENCY = 8,               // the unit's latency (ACT_LATENCY of rtl/design.ts)
    parameter COUNT = 1                  // input words
);
  wire clk, more;
  wire [31:0] cycle;
  wire [AB-1:0] x;
  wire [AB-1:0] y_sigmoid, y_tanh;
  wire done = (cycle == COUNT + LATENCY);
  rnnfab_tb_io #(.W(AB), .COUNT(COUNT)) io (
      .clk(clk), .cycle(cycle), .take(1'b1), .more(more), .word(x), .done(done)
  );
  always @(negedge clk) if (!done) $fdisplay(io.fd, "%0d %h %h", cycle, y_sigmoid, y_tanh);
  wire unused_more = more;

  rnnfab_act #(
      .AB(AB), .AF(AF), .STEP_LOG2(SIG_S), .RANGE_LOG2(SIG_R), .IS_SIGMOID(1),
      .TABLE_FILE(SIG_FILE), .LATENCY(LATENCY)
  ) act_sigmoid (
      .clk(clk), .en({LATENCY{1'b1}}), .x(x), .y(y_sigmoid)
  );
  rnnfab_act #(
      .AB(AB), .AF(AF), .STEP_LOG2(TANH_S), .RANGE_LOG2(TANH_R), .IS_SIGMOID(0),
      .TABLE_FILE(TANH_FILE), .LATENCY(LATENCY)
  ) act_tanh (
      .clk(clk), .en({LATENCY{1'b1}}), .x(x), .y(y_tanh)
  );
endmodule
`default_nettype wire
