`default_nettype none
// rnnfab_mul: a signed multiply with a register stage on each side of the multiplier, the
// pattern nextpnr places beside a MULT18X18D (docs/timing.md, "The pipelined datapath"):
//   M1: the operands registered (plain copies: no logic before them, so the placer puts them at
//       the multiplier instead of at the carry chain or the fan-out that computed them)
//   M2: p = a * b, the multiplier alone in its cycle
//   M3: the product registered again (a plain copy beside the multiplier; the adder after it
//       reads this one)
// y holds a * b of the operands presented three cycles earlier (LATENCY). en[k - 1] is the clock
// enable of stage Mk (the owner's per-stage enables, rnnfab_ew_stages); no reset: datapath only.
// LUT_MULTIPLIER = 1 marks the product for the place-and-route flow's LUT fallback (docs/timing.md,
// "The flow"); the arithmetic is the same.
module rnnfab_mul #(
    parameter AW = 16,             // width of a (signed)
    parameter BW = 16,             // width of b (signed)
    parameter LUT_MULTIPLIER = 0,  // 1: the flow may build this product from LUTs
    parameter LATENCY = 3          // operands-to-y latency the instantiator assumes (checked)
) (
    input  wire             clk,  // clock
    input  wire [      2:0] en,   // en[k - 1]: clock enable of stage Mk (hold when low)
    input  wire [   AW-1:0] a,    // signed operand, sampled under en[0]
    input  wire [   BW-1:0] b,    // signed operand, sampled under en[0]
    output wire [AW+BW-1:0] y     // signed product a * b, LATENCY cycles after the operands
);
  localparam PIPELINE_LATENCY = 3;  // MUL_LATENCY of rtl/design.ts
  initial begin
    if (LATENCY != PIPELINE_LATENCY || AW < 1 || BW < 1) begin
      $display("%m: bad parameters AW=%0d BW=%0d LATENCY=%0d (the unit's latency is %0d)", AW,
               BW, LATENCY, PIPELINE_LATENCY);
      $finish;
    end
  end

  reg [AW-1:0] m1_a_q;
  reg [BW-1:0] m1_b_q;
  reg [AW+BW-1:0] m2_p_q, m3_p_q;
  always @(posedge clk) if (en[0]) begin
    m1_a_q <= a;
    m1_b_q <= b;
  end
  generate
    if (LUT_MULTIPLIER != 0) begin : gen_lut
      always @(posedge clk)
        if (en[1]) m2_p_q <= $signed(m1_a_q) * (* rnnfab_lut_multiplier *) $signed(m1_b_q);
    end else begin : gen_dsp
      always @(posedge clk) if (en[1]) m2_p_q <= $signed(m1_a_q) * $signed(m1_b_q);
    end
  endgenerate
  always @(posedge clk) if (en[2]) m3_p_q <= m2_p_q;
  assign y = m3_p_q;
endmodule
`default_nettype wire
