`default_nettype none
// rnnfab_ew_stages: the per-stage clock enables of an element-wise pipeline (rnnfab_ew_gru,
// rnnfab_ew_lstm). A unit counts its cycles from S1, the cycle a cell is presented (cycle 0);
// en[c] is high in the cycles where a cell is in cycle c after its S1, so a register written in
// cycle c is written under en[c] and holds otherwise: en[0] is in_valid itself, en[c] (c >= 1)
// the valid bit of stage c, in_valid shifted by c cycles (cleared by reset). The pipeline never
// stalls, so every register is read in the cycle after it is written, and a register that skips
// the cycles no cell is in holds no value that is used again: the enables change no written
// value and no cycle. In hardware each stage's enable is its own register, with the fan-out of
// one stage (docs/timing.md: one enable of the whole unit reached ~1,000 flip-flops per PE and
// set the clock); in simulation the idle stages are skipped (docs/simulation.md).
module rnnfab_ew_stages #(
    parameter CYCLES = 1  // the last cycle after S1 with an enable (the write cycle of the unit)
) (
    input  wire            clk,       // clock
    input  wire            rst,       // synchronous reset: clears the valid bits
    input  wire            in_valid,  // S1: a cell is presented
    output wire [CYCLES:0] en         // en[c]: a cell is in cycle c after its S1
);
  initial begin
    if (CYCLES < 1) begin
      $display("%m: bad parameter CYCLES=%0d", CYCLES);
      $finish;
    end
  end

  // valid_q[c - 1]: a cell is in cycle c
  reg [CYCLES-1:0] valid_q, valid_d;
  always @* begin
    valid_d = valid_q << 1;
    valid_d[0] = in_valid;
  end
  // keep: every PE's unit computes the same enables, and Yosys's opt_merge would leave one copy
  // that drives the units of all PEs across the chip (docs/timing.md, session 27)
  (* keep *)
  always @(posedge clk) valid_q <= rst ? {CYCLES{1'b0}} : valid_d;
  assign en = {valid_q, in_valid};
endmodule
`default_nettype wire
