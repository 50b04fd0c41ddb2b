`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_act: sigmoid or tanh by table and linear interpolation, exactly as docs/fixed-point.md
// ("Activation functions"). Pipelined for the clock (docs/timing.md, "The pipelined datapath"):
// eight register stages, so y holds the result of the x presented eight cycles earlier (x is
// sampled at the end of the cycle it is presented in; drive it from a register).
//   A1: a = |x| and a + 2^D (two carry chains side by side, from x alone)
//   A2: i = a >> D, T[i] and T[i+1] (or T[N] beyond the range) read from the table: the
//       addresses are a compare and a multiplexer, and the reads are registered directly, so
//       the table is a dual-port block RAM (ROM)
//   A3: the two table words registered again (the block RAM's clock-to-output is most of a
//       cycle at 150 MHz; nothing follows it in that cycle)
//   A4: d = T[i+1] - T[i], and the base with the sign applied: T[i], or 2^AF - T[i] (sigmoid)
//       or -T[i] (tanh) for x < 0. d is held in D + 2 bits: adjacent entries of rnnfab's
//       tables (rounded sigmoid and tanh, slopes at most 1) differ by at most 2^D + 1
//       (rtl/hardware.ts checks it when it writes the tables), so the product is narrow
//   A5-A7: p = d * t (t = a & (2^D - 1)) in rnnfab_mul: operands registered, the multiplier
//       alone in its cycle, the product registered again
//   A8: y = base + (p >>> D), or base - (p >>> D) for x < 0, which equals the fixed-point
//       spec's y = T[i] + (d * t >>> D) with sigmoid(-x) = 2^AF - y, tanh(-x) = -y (mod 2^AB)
// No reset: every register is datapath; the valid bits travel beside the unit. en[k - 1] is the
// clock enable of stage Ak: the owner raises it in the cycles a value it will use enters that
// stage (the per-stage enables of rnnfab_ew_stages), so a stage holds while no such value passes
// (it changes no used result; docs/timing.md, docs/simulation.md).
module rnnfab_act #(
    parameter AB = 16,                    // activation width (input and output)
    parameter AF = 12,                    // activation fraction bits
    parameter STEP_LOG2 = 4,              // S: table segments are 2^-S wide
    parameter RANGE_LOG2 = 3,             // R: the table covers |x| in [0, 2^R)
    parameter IS_SIGMOID = 1,             // 1: sigmoid (negative side 2^AF - y); 0: tanh (-y)
    parameter TABLE_FILE = "sigmoid.hex", // $readmemh image of the 2^(R+S)+1 table entries
    parameter LATENCY = `RNNFAB_ACT_LATENCY  // x-to-y latency the instantiator assumes (checked)
) (
    input  wire               clk,  // clock
    input  wire [LATENCY-1:0] en,   // en[k - 1]: clock enable of stage Ak (hold when low)
    input  wire [     AB-1:0] x,    // activation-format input (two's complement)
    output wire [     AB-1:0] y     // activation-format output, LATENCY cycles after x
);
  // Cycles from x to y (ACT_LATENCY of rtl/design.ts; the element-wise units count on it).
  localparam PIPELINE_LATENCY = `RNNFAB_ACT_LATENCY;
  localparam SEGMENTS = 1 << (RANGE_LOG2 + STEP_LOG2);  // N: the table has N+1 entries
  localparam D = AF - STEP_LOG2;  // fraction bits inside a segment
  localparam IW = RANGE_LOG2 + STEP_LOG2 + 1;  // table index width (0..N)
  localparam DW = (D > 0) ? D : 1;  // width of the in-segment fraction t (at least 1)
  // Width of d = T[i+1] - T[i] (signed; |d| <= 2^D + 1); with D = 0 the fraction is 0 and d unused.
  localparam DIFW = `RNNFAB_MAX(D + 2, 2);
  localparam [AB:0] ONE = {{AB{1'b0}}, 1'b1};  // 1 in AB+1 bits
  localparam [AB:0] STEP = ONE << D;  // 2^D: one table segment
  localparam [AB:0] ONE_REAL = ONE << AF;  // 2^AF

  initial begin
    if (LATENCY != PIPELINE_LATENCY) begin
      $display("%m: LATENCY=%0d, but the unit's latency is %0d", LATENCY, PIPELINE_LATENCY);
      $finish;
    end
    // docs/fixed-point.md: STEP_LOG2 <= AF <= AB - 1, RANGE_LOG2 + STEP_LOG2 <= 12
    if (AB < 2 || AF < STEP_LOG2 || AF > AB - 1 || RANGE_LOG2 + STEP_LOG2 > 12) begin
      $display("%m: bad table parameters AB=%0d AF=%0d STEP_LOG2=%0d RANGE_LOG2=%0d", AB, AF,
               STEP_LOG2, RANGE_LOG2);
      $finish;
    end
  end

  (* rom_style = "block" *) reg [AB-1:0] table_rom[0:SEGMENTS];
  initial $readmemh(TABLE_FILE, table_rom);

  // Every stage's logic is a function of the registers before it, evaluated in the clocked
  // block, so that a simulator skips it with the registers while its enable is low
  // (docs/simulation.md).

  // ---- A1: magnitude a = |x| (at most 2^(AB-1)) and a + 2^D (at most 2^AB), both AB+1 bits
  function [AB:0] magnitude(input [AB-1:0] value, input [AB:0] offset);  // |value| + offset
    magnitude = value[AB-1] ? (~{value[AB-1], value} + (ONE + offset)) : ({1'b0, value} + offset);
  endfunction
  reg [AB:0] a1_magnitude_q, a1_next_q;
  reg a1_negative_q;
  always @(posedge clk) if (en[0]) begin
    a1_magnitude_q <= magnitude(x, {(AB + 1) {1'b0}});
    a1_next_q <= magnitude(x, STEP);
    a1_negative_q <= x[AB-1];
  end

  // ---- A2: table addresses and the synchronous reads (two read ports of one ROM, no logic
  // between the table and the registers). i = a >> D is in range when i < N (equivalently
  // a < 2^(R+AF)); beyond it both addresses are N.
  function [IW-1:0] table_index(input [AB:0] value, input [AB:0] address);  // address >> D or N
    reg [AB:0] segment;
    /* verilator lint_off UNUSEDSIGNAL */  // the bits above the index
    reg [AB:0] address_segment;
    /* verilator lint_on UNUSEDSIGNAL */
    begin
      segment = value >> D;
      address_segment = address >> D;
      table_index = (segment >= SEGMENTS) ? SEGMENTS[IW-1:0] : address_segment[IW-1:0];
    end
  endfunction
  wire [DW-1:0] fraction;
  generate
    if (D > 0) begin : gen_fraction
      assign fraction = a1_magnitude_q[DW-1:0];
    end else begin : gen_no_fraction
      assign fraction = 1'b0;
      wire unused_no_fraction = &{1'b0, a1_next_q[0]};
    end
  endgenerate
  reg [AB-1:0] a2_base_q, a2_next_q;
  reg [DW-1:0] a2_fraction_q;
  reg a2_negative_q;
  always @(posedge clk) if (en[1]) begin
    a2_base_q <= table_rom[table_index(a1_magnitude_q, a1_magnitude_q)];
    a2_next_q <= table_rom[table_index(a1_magnitude_q, a1_next_q)];
    a2_fraction_q <= fraction;
    a2_negative_q <= a1_negative_q;
  end

  // ---- A3: the table words again, out of the block RAM's output into fabric registers
  reg [AB-1:0] a3_base_q, a3_next_q;
  reg [DW-1:0] a3_fraction_q;
  reg a3_negative_q;
  always @(posedge clk) if (en[2]) begin
    a3_base_q <= a2_base_q;
    a3_next_q <= a2_next_q;
    a3_fraction_q <= a2_fraction_q;
    a3_negative_q <= a2_negative_q;
  end

  // ---- A4: difference T[i+1] - T[i] and the signed base
  function [AB-1:0] signed_base(input [AB-1:0] base, input negative);
    if (!negative) signed_base = base;
    else if (IS_SIGMOID != 0) signed_base = ONE_REAL[AB-1:0] - base;
    else signed_base = ~base + 1'b1;
  endfunction
  // T[i+1] - T[i] in DIFW bits (the bits above are sign copies for rnnfab's tables)
  function [DIFW-1:0] difference(input [AB-1:0] next, input [AB-1:0] base);
    /* verilator lint_off UNUSEDSIGNAL */  // the bits above DIFW
    reg [AB:0] full;
    /* verilator lint_on UNUSEDSIGNAL */
    begin
      full = {next[AB-1], next} - {base[AB-1], base};
      difference = full[DIFW-1:0];
    end
  endfunction
  reg [DIFW-1:0] a4_diff_q;
  reg [AB-1:0] a4_base_q;
  reg [DW-1:0] a4_fraction_q;
  reg a4_negative_q;
  always @(posedge clk) if (en[3]) begin
    a4_diff_q <= difference(a3_next_q, a3_base_q);
    a4_base_q <= signed_base(a3_base_q, a3_negative_q);
    a4_fraction_q <= a3_fraction_q;
    a4_negative_q <= a3_negative_q;
  end

  // ---- A5-A7: interpolation product (signed difference x unsigned fraction) in rnnfab_mul:
  // the operands registered (A5), the multiplier alone (A6), the product registered again (A7).
  // A sigmoid's product may be built from LUTs when the part runs out of multipliers
  // (docs/timing.md, "The flow"); the arithmetic is the same. The base and the sign ride beside it.
  localparam PW = DIFW + DW + 1;  // product width
  localparam SW = `RNNFAB_MAX(PW, AB);  // the product sign-extended to at least AB bits
  wire [PW-1:0] a7_product;
  rnnfab_mul #(.AW(DIFW), .BW(DW + 1), .LUT_MULTIPLIER(IS_SIGMOID != 0)) a5_mul (
      .clk(clk), .en(en[6:4]), .a(a4_diff_q), .b({1'b0, a4_fraction_q}), .y(a7_product)
  );
  wire [AB-1:0] a7_base;
  wire a7_negative;
  rnnfab_delay #(.WIDTH(AB + 1), .STAGES(3)) a4_to_a7 (
      .clk(clk), .rst(1'b0), .en(en[6:4]), .in_data({a4_base_q, a4_negative_q}),
      .out_data({a7_base, a7_negative})
  );

  // ---- A8: base plus or minus the shifted product (mod 2^AB: the result always fits AB bits,
  // docs/fixed-point.md)
  function [AB-1:0] interpolate(input [AB-1:0] base, input [PW-1:0] product, input negative);
    /* verilator lint_off UNUSEDSIGNAL */  // the bits above AB (the result is mod 2^AB)
    reg [SW:0] shifted;
    /* verilator lint_on UNUSEDSIGNAL */
    begin
      shifted = $signed({{(SW - PW + 1) {product[PW-1]}}, product}) >>> D;
      interpolate = negative ? base - shifted[AB-1:0] : base + shifted[AB-1:0];
    end
  endfunction
  reg [AB-1:0] y_q;
  always @(posedge clk) if (en[7]) y_q <= interpolate(a7_base, a7_product, a7_negative);
  assign y = y_q;
endmodule
`default_nettype wire
