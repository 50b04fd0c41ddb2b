`default_nettype none
// rnnfab_act: sigmoid or tanh by table and linear interpolation, exactly as docs/fixed-point.md
// ("Activation functions"). Two pipeline stages: x is sampled at the end of the cycle it is
// presented in, y is a register that holds the result two cycles later.
//   stage 1: a = |x|; i = a >>> D; t = a & (2^D - 1); read T[i], T[i+1] (or T[N] beyond the range)
//            synchronously: the two reads are registered directly, so the table is a dual-port
//            block RAM (ROM) rather than LUT logic
//   stage 2: y = T[i] + ((T[i+1] - T[i]) * t) >>> D; sigmoid(-x) = 2^AF - y, tanh(-x) = -y
module rnnfab_act #(
    parameter AB = 16,                    // activation width (input and output)
    parameter AF = 12,                    // activation fraction bits
    parameter STEP_LOG2 = 4,              // S: table segments are 2^-S wide
    parameter RANGE_LOG2 = 3,             // R: the table covers |x| in [0, 2^R)
    parameter IS_SIGMOID = 1,             // 1: sigmoid (negative side 2^AF - y); 0: tanh (-y)
    parameter TABLE_FILE = "sigmoid.hex"  // $readmemh image of the 2^(R+S)+1 table entries
) (
    input  wire          clk,  // clock
    input  wire [AB-1:0] x,    // activation-format input (two's complement)
    output wire [AB-1:0] y     // activation-format output, two cycles after x
);
  localparam SEGMENTS = 1 << (RANGE_LOG2 + STEP_LOG2);  // N: the table has N+1 entries
  localparam D = AF - STEP_LOG2;  // fraction bits inside a segment
  localparam IW = RANGE_LOG2 + STEP_LOG2 + 1;  // table index width (0..N)
  localparam DW = (D > 0) ? D : 1;  // width of the in-segment fraction t (at least 1)
  localparam [AB:0] ONE = {{AB{1'b0}}, 1'b1};  // 1 in AB+1 bits

  initial begin
    // docs/fixed-point.md: STEP_LOG2 <= AF <= AB - 1, RANGE_LOG2 + STEP_LOG2 <= 12
    if (AB < 2 || AF < STEP_LOG2 || AF > AB - 1 || RANGE_LOG2 + STEP_LOG2 > 12) begin
      $display("%m: bad table parameters AB=%0d AF=%0d STEP_LOG2=%0d RANGE_LOG2=%0d", AB, AF,
               STEP_LOG2, RANGE_LOG2);
      $finish;
    end
  end

  (* rom_style = "block" *) reg [AB-1:0] table_rom[0:SEGMENTS];
  initial $readmemh(TABLE_FILE, table_rom);

  // Stage 1 (combinational): magnitude, range check, table addresses.
  wire          negative = x[AB-1];
  wire [  AB:0] x_wide = {x[AB-1], x};
  wire [  AB:0] magnitude = negative ? (~x_wide + ONE) : x_wide;
  wire [  AB:0] segment = magnitude >> D;  // i, valid when in range
  // In range when i < N (equivalently a < 2^(R+AF)); compared on the shifted value.
  wire          beyond = (segment >= SEGMENTS);
  wire [IW-1:0] index = beyond ? SEGMENTS[IW-1:0] : segment[IW-1:0];
  wire [IW-1:0] index_next = beyond ? SEGMENTS[IW-1:0] : segment[IW-1:0] + 1'b1;
  wire [DW-1:0] fraction;
  generate
    if (D > 0) begin : gen_fraction
      assign fraction = magnitude[DW-1:0];
    end else begin : gen_no_fraction
      assign fraction = 1'b0;
    end
  endgenerate

  // Synchronous table reads (two read ports of one ROM, no logic between the table and the
  // registers), so the table maps to a dual-port block RAM; the difference T[i+1] - T[i] is
  // formed in stage 2, which keeps the latency at two cycles.
  reg [AB-1:0] base_entry_q, next_entry_q;
  reg [DW-1:0] fraction_q, fraction_d;
  reg negative_q, negative_d;
  always @* begin
    fraction_d = fraction;
    negative_d = negative;
  end
  always @(posedge clk) begin
    base_entry_q <= table_rom[index];
    next_entry_q <= table_rom[index_next];
    fraction_q <= fraction_d;
    negative_q <= negative_d;
  end

  // Stage 2 (combinational): difference, interpolation and sign.
  wire [AB:0] base_wide = {base_entry_q[AB-1], base_entry_q};
  wire [AB:0] diff_wide = {next_entry_q[AB-1], next_entry_q} - base_wide;
  localparam PW = AB + 1 + DW + 1;  // product width: signed diff x unsigned fraction
  wire signed [PW-1:0] product = $signed(diff_wide) * $signed({1'b0, fraction_q});
  wire signed [PW-1:0] shifted = product >>> D;
  wire [AB:0] magnitude_out = base_wide + shifted[AB:0];
  // The result always fits AB bits (docs/fixed-point.md); the wider bits are never needed.
  wire unused_act_bits = &{1'b0, shifted[PW-1:AB+1], magnitude_out[AB]};
  localparam [AB:0] ONE_REAL = ONE << AF;  // 2^AF
  reg [AB-1:0] y_q, y_d;
  always @* begin
    if (!negative_q) y_d = magnitude_out[AB-1:0];
    else if (IS_SIGMOID != 0) y_d = ONE_REAL[AB-1:0] - magnitude_out[AB-1:0];
    else y_d = ~magnitude_out[AB-1:0] + 1'b1;
  end
  always @(posedge clk) y_q <= y_d;
  assign y = y_q;
endmodule
`default_nettype wire
