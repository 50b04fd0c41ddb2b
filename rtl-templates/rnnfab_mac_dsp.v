`default_nettype none
// rnnfab_mac_dsp: one MAC lane's multiply and accumulate in the DSP-slice pattern
// (docs/architecture.md, "(a) the adder in the DSP slice"): the operands registered 2 deep (A1/A2,
// B1/B2), the product registered (M), and sum = M + c_in unregistered (P), so that the sum can be
// written the cycle it forms. With `RNNFAB_DSP48E2 defined (only the Xilinx synthesis flow of
// synth/ defines it) this is one DSP48E2 primitive: Yosys 0.23 folds a registered multiply-add
// into a DSP48E1 but not into a DSP48E2, whose adder would otherwise stay in LUTs and a carry
// chain. Otherwise the same arithmetic in generic RTL (ECP5, iCE40, the simulators; sim/models/
// has a behavioural DSP48E2 of the subset used here, for simulating the primitive path).
module rnnfab_mac_dsp #(
    parameter AW = 16,  // a_in width (signed, at most 27: the DSP48E2's A multiplier input)
    parameter BW = 12,  // b_in width (signed, at most 17: B is 18 bits)
    parameter CW = 40   // c_in and sum width (at most 47: C and P are 48 bits)
) (
    input  wire          clk,   // clock
    input  wire [AW-1:0] a_in,  // operand a (registered twice inside)
    input  wire [BW-1:0] b_in,  // operand b (registered twice inside)
    input  wire [CW-1:0] c_in,  // addend, in the cycle the product leaves M (3 after a_in, b_in)
    output wire [CW-1:0] sum    // (a * b + c_in) mod 2^CW, unregistered
);
  initial begin
    if (AW < 2 || AW > 27 || BW < 2 || BW > 17 || CW < 2 || CW > 47) begin
      $display("%m: bad parameters AW=%0d BW=%0d CW=%0d", AW, BW, CW);
      $finish;
    end
  end

`ifdef RNNFAB_DSP48E2
  wire [47:0] p;
  wire [47:0] c48 = {{(48 - CW) {1'b0}}, c_in};  // the low CW bits of the sum need only those
  DSP48E2 #(
      .AREG(2), .BREG(2), .ACASCREG(2), .BCASCREG(2), .MREG(1), .PREG(0), .CREG(0),
      .ADREG(0), .DREG(0), .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0), .CARRYINREG(0),
      .CARRYINSELREG(0), .AMULTSEL("A"), .BMULTSEL("B"), .USE_MULT("MULTIPLY"),
      .A_INPUT("DIRECT"), .B_INPUT("DIRECT"), .USE_SIMD("ONE48")
  ) dsp (
      .CLK(clk),
      .A({{(30 - AW) {a_in[AW-1]}}, a_in}), .B({{(18 - BW) {b_in[BW-1]}}, b_in}), .C(c48),
      .INMODE(5'b00000), .OPMODE(9'b00_011_01_01),  // W = 0, Z = C, Y:X = M
      .ALUMODE(4'b0000), .CARRYINSEL(3'b000), .CARRYIN(1'b0),  // Z + W + X + Y
      .CEA1(1'b1), .CEA2(1'b1), .CEB1(1'b1), .CEB2(1'b1), .CEM(1'b1),
      .RSTA(1'b0), .RSTB(1'b0), .RSTM(1'b0),
      .P(p)
  );
  assign sum = p[CW-1:0];
  wire unused_p = &{1'b0, p};
`else
  reg [AW-1:0] a1_q, a2_q;
  reg [BW-1:0] b1_q, b2_q;
  reg [AW+BW-1:0] m_q;
  always @(posedge clk) begin
    {a1_q, a2_q, b1_q, b2_q} <= {a_in, a1_q, b_in, b1_q};
    m_q <= $signed(a2_q) * $signed(b2_q);
  end
  localparam MW = AW + BW;  // product width
  wire [CW-1:0] m_ext;
  generate
    if (CW > MW) begin : gen_extend
      assign m_ext = {{(CW - MW) {m_q[MW-1]}}, m_q};
    end else begin : gen_cut
      assign m_ext = m_q[CW-1:0];
      wire unused_m = &{1'b0, m_q};
    end
  endgenerate
  assign sum = m_ext + c_in;
`endif
endmodule
`default_nettype wire
