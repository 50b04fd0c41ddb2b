`default_nettype none
// rnnfab_mul: a signed multiply with a register stage on each side of the multiplier
// (docs/timing.md, "The pipelined datapath"):
//   M1: the operands registered
//   M2: p = a * b registered: the multiplier alone in its cycle
//   M3: the product registered again (a fabric copy: the routing out of the multiplier has a
//       cycle of its own; the adder after it reads this one); STAGES = 2 leaves it out (the
//       PE's MAC, whose accumulator registers the product again before its adder)
// y holds a * b of the operands presented STAGES cycles earlier (LATENCY). en[k - 1] is the clock
// enable of stage Mk (the owner's per-stage enables, rnnfab_ew_stages); no reset: datapath only.
// On the ECP5 place-and-route flow M1 and M2 are a MULT18X18D's own registers (below).
// LUT_MULTIPLIER = 1 marks the product for the place-and-route flow's LUT fallback (docs/timing.md,
// "The flow"); the arithmetic is the same. Where the flow builds it from LUTs
// (RNNFAB_LUT_MULTIPLIERS) with three stages, M2 holds two half products (a times the low and the
// high half of b) and M3 their sum: each LUT multiplier is half as deep, the adder takes M3's
// cycle, and y is the same product at the same latency.
module rnnfab_mul #(
    parameter AW = 16,             // width of a (signed)
    parameter BW = 16,             // width of b (signed)
    parameter LUT_MULTIPLIER = 0,  // 1: the flow may build this product from LUTs
    parameter STAGES = 3,          // register stages: 3 (M1, M2, M3) or 2 (M1, M2)
    parameter LATENCY = STAGES     // operands-to-y latency the instantiator assumes (checked)
) (
    input  wire             clk,  // clock
    input  wire [      2:0] en,   // en[k - 1]: clock enable of stage Mk (hold when low)
    input  wire [   AW-1:0] a,    // signed operand, sampled under en[0]
    input  wire [   BW-1:0] b,    // signed operand, sampled under en[0]
    output wire [AW+BW-1:0] y     // signed product a * b, LATENCY cycles after the operands
);
  localparam PIPELINE_LATENCY = 3;  // the units count their stages with it (docs/timing.md)
  initial begin
    if ((STAGES != 2 && STAGES != PIPELINE_LATENCY) || LATENCY != STAGES || AW < 1 || BW < 1)
    begin
      $display("%m: bad parameters AW=%0d BW=%0d STAGES=%0d LATENCY=%0d (2 or %0d stages)", AW,
               BW, STAGES, LATENCY, PIPELINE_LATENCY);
      $finish;
    end
  end

`ifdef RNNFAB_ECP5_MULT
  // The ECP5 place-and-route flow (synth/pnr/script.ts) defines RNNFAB_ECP5_MULT: M1 and M2 are
  // then the MULT18X18D's own input and output registers (Yosys 0.70 maps no register into it),
  // so the multiplier's cycle never leaves the block; M3 stays a fabric copy. Operands over 18
  // bits, and products the LUT fallback builds (RNNFAB_LUT_MULTIPLIERS), keep the generic RTL.
`ifdef RNNFAB_LUT_MULTIPLIERS
  localparam USE_ECP5 = (AW <= 18) && (BW <= 18) && (LUT_MULTIPLIER == 0);
`else
  localparam USE_ECP5 = (AW <= 18) && (BW <= 18);
`endif
`else
  localparam USE_ECP5 = 0;
`endif
`ifdef RNNFAB_LUT_MULTIPLIERS
  localparam LUT_SPLIT = (LUT_MULTIPLIER != 0) && (STAGES == PIPELINE_LATENCY) && (BW >= 2);
`else
  localparam LUT_SPLIT = 0;
`endif
  wire [AW+BW-1:0] m2_p;  // M2's product (the split: the sum of its half products)
  generate
    if (USE_ECP5) begin : gen_ecp5
`ifdef RNNFAB_ECP5_MULT
      wire signed [17:0] a18 = $signed(a);  // sign-extended to the block's 18 bits
      wire signed [17:0] b18 = $signed(b);
      wire [35:0] p36;
      // M1 and M2 run every cycle here (clock enables 1): the multipliers of one DSP block of the
      // ECP5 share their clock-enable nets, so with one stage enable per multiplier (and per PE)
      // nextpnr could pair none and the 8-PE LSTMP's 96 did not fit the 78 blocks (its placer
      // found no legal place for the last ones; docs/timing.md, session 27). The same values reach
      // y: the owners' pipelines never stall, and every register is read in the cycle after it is
      // written (rnnfab_ew_stages), so a register that also loads in the other cycles loads only
      // values nobody reads. RNNFAB_MUL_FREE_RUNNING gives the generic branch the same behaviour,
      // so that simulation checks it (tests/rtl_ew_test.ts).
      wire unused_en = &{1'b0, en[1:0]};
      // No parameters here: under the flow's read_verilog -defer, a parameterized blackbox
      // instance is re-derived after flattening and fails; the flow's script sets the register
      // parameters on the cells with this attribute (synth/pnr/script.ts, ECP5_MULT_REGISTERS).
      (* rnnfab_mult_registers *)
      MULT18X18D mult (
        .A0(a18[0]), .A1(a18[1]), .A2(a18[2]), .A3(a18[3]), .A4(a18[4]), .A5(a18[5]),
        .A6(a18[6]), .A7(a18[7]), .A8(a18[8]), .A9(a18[9]), .A10(a18[10]), .A11(a18[11]),
        .A12(a18[12]), .A13(a18[13]), .A14(a18[14]), .A15(a18[15]), .A16(a18[16]), .A17(a18[17]),
        .B0(b18[0]), .B1(b18[1]), .B2(b18[2]), .B3(b18[3]), .B4(b18[4]), .B5(b18[5]),
        .B6(b18[6]), .B7(b18[7]), .B8(b18[8]), .B9(b18[9]), .B10(b18[10]), .B11(b18[11]),
        .B12(b18[12]), .B13(b18[13]), .B14(b18[14]), .B15(b18[15]), .B16(b18[16]), .B17(b18[17]),
        .C0(1'b0), .C1(1'b0), .C2(1'b0), .C3(1'b0), .C4(1'b0), .C5(1'b0), .C6(1'b0), .C7(1'b0),
        .C8(1'b0), .C9(1'b0), .C10(1'b0), .C11(1'b0), .C12(1'b0), .C13(1'b0), .C14(1'b0),
        .C15(1'b0), .C16(1'b0), .C17(1'b0),
        .SIGNEDA(1'b1), .SIGNEDB(1'b1), .SOURCEA(1'b0), .SOURCEB(1'b0),
        .CLK0(clk), .CLK1(1'b0), .CLK2(1'b0), .CLK3(1'b0),
        .CE0(1'b1), .CE1(1'b1), .CE2(1'b0), .CE3(1'b0),
        .RST0(1'b0), .RST1(1'b0), .RST2(1'b0), .RST3(1'b0),
        .P0(p36[0]), .P1(p36[1]), .P2(p36[2]), .P3(p36[3]), .P4(p36[4]), .P5(p36[5]),
        .P6(p36[6]), .P7(p36[7]), .P8(p36[8]), .P9(p36[9]), .P10(p36[10]), .P11(p36[11]),
        .P12(p36[12]), .P13(p36[13]), .P14(p36[14]), .P15(p36[15]), .P16(p36[16]), .P17(p36[17]),
        .P18(p36[18]), .P19(p36[19]), .P20(p36[20]), .P21(p36[21]), .P22(p36[22]), .P23(p36[23]),
        .P24(p36[24]), .P25(p36[25]), .P26(p36[26]), .P27(p36[27]), .P28(p36[28]), .P29(p36[29]),
        .P30(p36[30]), .P31(p36[31]), .P32(p36[32]), .P33(p36[33]), .P34(p36[34]), .P35(p36[35])
      );
      assign m2_p = p36[AW+BW-1:0];
`endif
    end else begin : gen_generic
      // M1 and M2 enables: the owner's, or 1 (RNNFAB_MUL_FREE_RUNNING: as the ECP5 branch)
`ifdef RNNFAB_MUL_FREE_RUNNING
      wire [1:0] m_en = 2'b11;
      wire unused_en = &{1'b0, en[1:0]};
`else
      wire [1:0] m_en = en[1:0];
`endif
      reg [AW-1:0] m1_a_q;
      reg [BW-1:0] m1_b_q;
      always @(posedge clk) if (m_en[0]) begin
        m1_a_q <= a;
        m1_b_q <= b;
      end
      if (LUT_SPLIT) begin : gen_lut_split
        // a * b = a * b_hi * 2^LO_W + a * b_lo (b_lo unsigned, b_hi signed), summed into M3
        localparam LO_W = BW / 2, HI_W = BW - LO_W;
        reg [AW+BW-1:0] m2_lo_q;  // a * b_lo (signed, in the product's width)
        reg [AW+HI_W-1:0] m2_hi_q;  // a * b_hi (signed)
        always @(posedge clk)
          if (m_en[1]) begin
            m2_lo_q <= $signed(m1_a_q) * (* rnnfab_lut_multiplier *)
                $signed({1'b0, m1_b_q[LO_W-1:0]});
            m2_hi_q <= $signed(m1_a_q) * (* rnnfab_lut_multiplier *) $signed(m1_b_q[BW-1:LO_W]);
          end
        assign m2_p = {m2_hi_q, {LO_W{1'b0}}} + m2_lo_q;
      end else if (LUT_MULTIPLIER != 0) begin : gen_lut
        reg [AW+BW-1:0] m2_p_q;
        always @(posedge clk)
          if (m_en[1]) m2_p_q <= $signed(m1_a_q) * (* rnnfab_lut_multiplier *) $signed(m1_b_q);
        assign m2_p = m2_p_q;
      end else begin : gen_dsp
        reg [AW+BW-1:0] m2_p_q;
        always @(posedge clk) if (m_en[1]) m2_p_q <= $signed(m1_a_q) * $signed(m1_b_q);
        assign m2_p = m2_p_q;
      end
    end
  endgenerate
  generate
    if (STAGES == 2) begin : gen_two_stages
      wire unused_m3 = &{1'b0, en[2]};
      assign y = m2_p;
    end else begin : gen_three_stages
      reg [AW+BW-1:0] m3_p_q;
      always @(posedge clk) if (en[2]) m3_p_q <= m2_p;
      assign y = m3_p_q;
    end
  endgenerate
endmodule
`default_nettype wire
