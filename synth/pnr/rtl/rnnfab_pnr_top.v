`default_nettype none
// rnnfab_pnr_top: the generated accelerator (rnnfab_top) behind registered ports, the way it
// sits on a board behind AXI-stream register slices. Place and route (synth/pnr/flow.ts) builds
// this wrapper around the design so that the clock it measures is the core's: no path runs from
// an I/O pin into the core's logic or out of it in the same cycle, and the unconstrained pin
// placement cannot set Fmax. Both streams pass through an rnnfab_stream_reg (full throughput,
// one cycle of latency each way); the reset goes through two registers. The stream protocol at
// the pins is the core's (docs/architecture.md); only its latency grows, by two cycles.
module rnnfab_pnr_top #(
    parameter IN_W = 8,  // in_data bits of rnnfab_top (AB x BATCH x IN_WORDS)
    parameter OUT_W = 8,  // out_data bits of rnnfab_top (AB x BATCH x OUT_WORDS)
    parameter MEM_DIR = "mem/"  // prefix of the core's memory image file names
) (
    input  wire             clk,        // clock
    input  wire             rst,        // synchronous reset, active high (hold >= 2 cycles)
    input  wire [ IN_W-1:0] in_data,    // input stream (the core's, one register slice later)
    input  wire             in_valid,   // input stream valid
    output wire             in_ready,   // input stream ready (registered)
    output wire [OUT_W-1:0] out_data,   // output stream data (registered)
    output wire             out_valid,  // output stream valid (registered)
    input  wire             out_ready,  // output stream ready
    output wire             out_last    // last element of a time step (registered)
);
  initial begin
    if (IN_W < 1 || OUT_W < 1) begin
      $display("rnnfab_pnr_top: IN_W (%0d) and OUT_W (%0d) must be at least 1", IN_W, OUT_W);
      $finish;
    end
  end

  // the reset, registered twice: no pin drives the core's reset fan-out directly
  reg rst_pin_q, rst_q;
  always @(posedge clk) begin
    rst_pin_q <= rst;
    rst_q     <= rst_pin_q;
  end

  wire [IN_W-1:0] core_in_data;
  wire core_in_valid, core_in_ready;
  rnnfab_stream_reg #(
      .DATA_W(IN_W)
  ) in_slice (
      .clk(clk), .rst(rst_q),
      .s_data(in_data), .s_valid(in_valid), .s_ready(in_ready),
      .m_data(core_in_data), .m_valid(core_in_valid), .m_ready(core_in_ready)
  );

  wire [OUT_W-1:0] core_out_data;
  wire core_out_valid, core_out_ready, core_out_last;
  rnnfab_top #(
      .MEM_DIR(MEM_DIR)
  ) core (
      .clk(clk), .rst(rst_q),
      .in_data(core_in_data), .in_valid(core_in_valid), .in_ready(core_in_ready),
      .out_data(core_out_data), .out_valid(core_out_valid), .out_ready(core_out_ready),
      .out_last(core_out_last)
  );

  rnnfab_stream_reg #(
      .DATA_W(OUT_W + 1)
  ) out_slice (
      .clk(clk), .rst(rst_q),
      .s_data({core_out_last, core_out_data}), .s_valid(core_out_valid), .s_ready(core_out_ready),
      .m_data({out_last, out_data}), .m_valid(out_valid), .m_ready(out_ready)
  );
endmodule

`default_nettype wire
