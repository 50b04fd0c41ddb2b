`default_nettype none
// DSP48E2: rnnfab's own behavioural model of the subset of the UltraScale DSP slice that
// rtl-templates/rnnfab_mac_dsp.v instantiates, written from the slice's documented function (not
// a vendor model), so that Verilator and Icarus can simulate the primitive path (the define
// RNNFAB_DSP48E2; tests/dsp48e2_test.ts). The subset: A and B registered AREG = BREG = 2 deep
// (A1, A2; B1, B2) with clock enables and synchronous resets, the 27 x 18 signed multiplier on
// A2[26:0] and B2, the M register (MREG = 1), and P = C + M unregistered (PREG = 0, CREG = 0):
// OPMODE W = 0, Z = C, Y:X = M, ALUMODE 0000 (Z + W + X + Y + CIN), INMODE 00000, no carry in.
// Any other setting stops elaboration with a message.
module DSP48E2 #(
    parameter integer AREG = 1,             // A register stages (model: 2)
    parameter integer BREG = 1,             // B register stages (model: 2)
    parameter integer ACASCREG = 1,         // A cascade register stages (model: = AREG)
    parameter integer BCASCREG = 1,         // B cascade register stages (model: = BREG)
    parameter integer MREG = 1,             // M register (model: 1)
    parameter integer PREG = 1,             // P register (model: 0)
    parameter integer CREG = 1,             // C register (model: 0)
    parameter integer ADREG = 1,            // pre-adder register (model: 0, not used)
    parameter integer DREG = 1,             // D register (model: 0, not used)
    parameter integer INMODEREG = 1,        // INMODE register (model: 0)
    parameter integer OPMODEREG = 1,        // OPMODE register (model: 0)
    parameter integer ALUMODEREG = 1,       // ALUMODE register (model: 0)
    parameter integer CARRYINREG = 1,       // CARRYIN register (model: 0)
    parameter integer CARRYINSELREG = 1,    // CARRYINSEL register (model: 0)
    parameter AMULTSEL = "A",               // multiplier A input (model: "A")
    parameter BMULTSEL = "B",               // multiplier B input (model: "B")
    parameter USE_MULT = "MULTIPLY",        // multiplier use (model: "MULTIPLY")
    parameter A_INPUT = "DIRECT",           // A source (model: "DIRECT")
    parameter B_INPUT = "DIRECT",           // B source (model: "DIRECT")
    parameter USE_SIMD = "ONE48"            // ALU mode (model: "ONE48")
) (
    input  wire        CLK,         // clock
    input  wire [29:0] A,           // A (the multiplier uses A2[26:0])
    input  wire [17:0] B,           // B
    input  wire [47:0] C,           // C (the Z input)
    input  wire [ 4:0] INMODE,      // model: 00000
    input  wire [ 8:0] OPMODE,      // model: W = 00, Z = 011, Y = 01, X = 01
    input  wire [ 3:0] ALUMODE,     // model: 0000
    input  wire [ 2:0] CARRYINSEL,  // model: 000
    input  wire        CARRYIN,     // model: 0
    input  wire        CEA1,        // A1 clock enable
    input  wire        CEA2,        // A2 clock enable
    input  wire        CEB1,        // B1 clock enable
    input  wire        CEB2,        // B2 clock enable
    input  wire        CEM,         // M clock enable
    input  wire        RSTA,        // A1, A2 synchronous reset
    input  wire        RSTB,        // B1, B2 synchronous reset
    input  wire        RSTM,        // M synchronous reset
    output wire [47:0] P            // C + M (PREG = 0)
);
  initial begin
    if (AREG != 2 || BREG != 2 || ACASCREG != 2 || BCASCREG != 2 || MREG != 1 || PREG != 0 ||
        CREG != 0 || ADREG != 0 || DREG != 0 || INMODEREG != 0 || OPMODEREG != 0 ||
        ALUMODEREG != 0 || CARRYINREG != 0 || CARRYINSELREG != 0 || AMULTSEL != "A" ||
        BMULTSEL != "B" || USE_MULT != "MULTIPLY" || A_INPUT != "DIRECT" ||
        B_INPUT != "DIRECT" || USE_SIMD != "ONE48") begin
      $display("%m: DSP48E2 model: a setting outside the modelled subset");
      $finish;
    end
  end

  reg [29:0] a1_q, a2_q;
  reg [17:0] b1_q, b2_q;
  reg [44:0] m_q;
  wire [44:0] product = $signed(a2_q[26:0]) * $signed(b2_q);
  always @(posedge CLK) begin
    if (RSTA) {a1_q, a2_q} <= 60'd0;
    else begin
      if (CEA1) a1_q <= A;
      if (CEA2) a2_q <= a1_q;
    end
    if (RSTB) {b1_q, b2_q} <= 36'd0;
    else begin
      if (CEB1) b1_q <= B;
      if (CEB2) b2_q <= b1_q;
    end
    if (RSTM) m_q <= 45'd0;
    else if (CEM) m_q <= product;
  end
  // checked every cycle: the control inputs stay in the subset
  always @(posedge CLK) begin
    if (INMODE != 5'b00000 || OPMODE != 9'b000110101 || ALUMODE != 4'b0000 ||
        CARRYINSEL != 3'b000 || CARRYIN != 1'b0) begin
      $display("%m: DSP48E2 model: a control input outside the modelled subset");
      $finish;
    end
  end
  assign P = C + {{3{m_q[44]}}, m_q};
  wire unused_a = &{1'b0, a2_q[29:27]};
endmodule
`default_nettype wire
