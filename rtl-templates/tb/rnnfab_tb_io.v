`default_nettype none
`timescale 1ns / 1ps
// rnnfab_tb_io: what the unit test benches share (tests/rtl_units.ts): the clock, the cycle count,
// the stimulus and the response file. The COUNT words of +in=<file> (hex, W bits each) are played
// in order: `word` is the current one (0 once all are used) until a rising edge at which the bench
// `take`s it. The bench writes its responses with $fdisplay(io.fd, ...) into +out=<file> and
// raises `done` to close the file and end the simulation.
module rnnfab_tb_io #(
    parameter W = 1,     // stimulus word width
    parameter COUNT = 1  // stimulus words
) (
    output reg          clk = 1'b1,   // the clock (period 10; the first edge falls)
    output reg   [31:0] cycle = 0,    // the cycle: counts rising edges from 0
    input  wire         take,         // the current word is used at this rising edge
    output wire         more,         // words remain
    output wire [W-1:0] word,         // the current word
    input  wire         done          // close the file, $finish
);
  reg [W-1:0] words[0:COUNT-1];
  reg [31:0] next = 0;  // index of the current word
  reg [8*512-1:0] in_path, out_path;
  integer fd;
  initial begin
    if (!$value$plusargs("in=%s", in_path) || !$value$plusargs("out=%s", out_path)) begin
      $display("%m: +in=<file> and +out=<file> are required");
      $finish;
    end
    $readmemh(in_path, words);
    fd = $fopen(out_path, "w");
  end
  assign more = (next < COUNT);
  assign word = more ? words[next] : {W{1'b0}};
  always #5 clk <= ~clk;
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (take && more) next <= next + 1;
  end
  always @(posedge done) begin
    $fclose(fd);
    $finish;
  end
endmodule
`default_nettype wire
