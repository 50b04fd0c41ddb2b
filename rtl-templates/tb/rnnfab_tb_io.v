`default_nettype none
`timescale 1ns / 1ps
// rnnfab_tb_io: what the unit test benches share (tests/rtl_units.ts): the clock, the COUNT
// stimulus words of +in=<file> (hex, W bits each, in `words`) and the response file +out=<file>
// (opened at time 0 as `fd`). A bench reads io.words[i], writes with $fdisplay(io.fd, ...) and
// raises `done` to close the file and end the simulation.
module rnnfab_tb_io #(
    parameter W = 1,     // stimulus word width
    parameter COUNT = 1  // stimulus words
) (
    output reg clk = 1'b0,  // the clock (period 10)
    input wire done         // the bench is done: close the file, $finish
);
  reg [W-1:0] words[0:COUNT-1];
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
  always #5 clk <= ~clk;
  always @(posedge done) begin
    $fclose(fd);
    $finish;
  end
endmodule
`default_nettype wire
