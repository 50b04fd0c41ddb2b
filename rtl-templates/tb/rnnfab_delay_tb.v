`default_nettype none
`timescale 1ns / 1ps
// rnnfab_delay_tb: unit test bench of rnnfab_delay (tests/rtl_delay_test.ts). Word i of +in=<file>
// ({valid, WIDTH data bits}, hex) is presented in cycle i: the valid bit drives an
// rnnfab_ew_stages, whose per-stage enables drive two delays of STAGES stages, a register chain
// (RING_STAGES 0) and the module's default build (a LUT-RAM ring from RING_STAGES on). Every
// cycle, "<cycle> <chain out> <ring out>" (hex) is written to +out=<file>, for COUNT + STAGES
// cycles; the test expects word i's data from both in cycle i + STAGES where word i is valid,
// and, from the ring, in every cycle i + STAGES.
module rnnfab_delay_tb #(
    parameter WIDTH = 8,        // data bits
    parameter STAGES = 1,       // cycles of delay
    parameter RING_STAGES = 8,  // the ring's threshold of the delay under test
    parameter COUNT = 1         // input words
);
  wire clk, more;
  wire [31:0] cycle;
  wire [WIDTH:0] word;
  wire done = (cycle == COUNT + STAGES);
  rnnfab_tb_io #(.W(WIDTH + 1), .COUNT(COUNT)) io (
      .clk(clk), .cycle(cycle), .take(1'b1), .more(more), .word(word), .done(done)
  );
  wire [WIDTH-1:0] chain_out, ring_out;
  always @(negedge clk) if (!done) $fdisplay(io.fd, "%0d %h %h", cycle, chain_out, ring_out);
  wire unused_more = more;

  reg rst = 1'b1;  // one cycle of reset clears the stages' valid bits
  always @(posedge clk) rst <= 1'b0;
  wire [STAGES:0] en;
  rnnfab_ew_stages #(.CYCLES(STAGES)) u_stages (
      .clk(clk), .rst(rst), .in_valid(word[WIDTH]), .en(en)
  );
  rnnfab_delay #(.WIDTH(WIDTH), .STAGES(STAGES), .RING_STAGES(0)) u_chain (
      .clk(clk), .rst(rst), .en(en[STAGES-1:0]), .in_data(word[WIDTH-1:0]),
      .out_data(chain_out)
  );
  rnnfab_delay #(.WIDTH(WIDTH), .STAGES(STAGES), .RING_STAGES(RING_STAGES)) u_ring (
      .clk(clk), .rst(rst), .en(en[STAGES-1:0]), .in_data(word[WIDTH-1:0]),
      .out_data(ring_out)
  );
  wire unused_en = en[STAGES];
endmodule
`default_nettype wire
