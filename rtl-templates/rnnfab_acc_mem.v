`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_acc_mem: an accumulator memory of the PE (docs/architecture.md, "The PE"): DEPTH words of
// FIELDS accumulator fields (ACC bits each, exact sums), updated by a pipelined multiply-
// accumulate read-modify-write through one synchronous read port (block-RAM capable):
//   M (mac_valid): read the word          W: add the product to its field, write the word back
// A MAC in W right after a MAC of the same word takes that MAC's sum (forwarding): its read came
// before that write. The consumer (the element-wise unit, the requantizer) reads a word through
// the same port (`read`, never in a cycle with a MAC read) and takes it the next cycle (`take`):
// `word` is the word, and taking clears it. A word whose live bit is 0 reads as zero, so reset
// and a take clear a word in one cycle. Memories deeper than LUT_RAM_DEPTH words are marked block
// RAM; the others are left to the synthesis tool (LUT RAM for these shallow, wide memories).
module rnnfab_acc_mem #(
    parameter DEPTH = 1,             // words
    parameter FIELDS = 4,            // accumulator fields per word
    parameter ACC = 40,              // accumulator width
    parameter PW = 28,               // product width (sign-extended to ACC)
    parameter LUT_RAM_DEPTH = 64,    // deepest memory left to LUT RAM
    // derived: word address and field index widths; leave unset
    parameter AW = `RNNFAB_BITS_FOR(DEPTH - 1),
    parameter FW = `RNNFAB_BITS_FOR(FIELDS - 1)
) (
    input  wire                  clk,          // clock
    input  wire                  rst,          // synchronous reset: every word reads zero
    input  wire                  mac_valid,    // M: add mac_product to field mac_field of mac_addr
    input  wire [      AW-1:0]   mac_addr,     // M: its word
    input  wire [      FW-1:0]   mac_field,    // M: its field
    input  wire [      PW-1:0]   mac_product,  // M: the product
    input  wire                  read,         // the consumer reads word read_addr
    input  wire [      AW-1:0]   read_addr,    // its word
    input  wire                  take,         // the consumer takes word take_addr (read before)
    input  wire [      AW-1:0]   take_addr,    // its word
    output wire [FIELDS*ACC-1:0] word          // the word taken (zero when not live)
);
  localparam WW = FIELDS * ACC;  // word width

  initial begin
    if (DEPTH < 1 || FIELDS < 1 || PW > ACC || (1 << AW) < DEPTH || (1 << FW) < FIELDS ||
        LUT_RAM_DEPTH < 0) begin
      $display("%m: bad parameters DEPTH=%0d FIELDS=%0d ACC=%0d PW=%0d AW=%0d FW=%0d", DEPTH,
               FIELDS, ACC, PW, AW, FW);
      $finish;
    end
  end

  reg [DEPTH-1:0] live_q, live_d;
  reg [WW-1:0] rd_q;  // read data: the MAC's word in W, the consumer's word when it takes it
  reg w_valid_q, w_live_q;  // W: a MAC, and whether its word was live when read
  reg [AW-1:0] w_addr_q;
  reg [FW-1:0] w_field_q;
  reg [PW-1:0] w_product_q;
  reg fw_valid_q;  // the previous W wrote field fw_field_q of fw_addr_q: fw_sum_q
  reg [AW-1:0] fw_addr_q;
  reg [FW-1:0] fw_field_q;
  reg [ACC-1:0] fw_sum_q;
  reg [WW-1:0] w_base, w_word;
  reg [ACC-1:0] w_sum;
  integer field;
  always @* begin
    w_base = w_live_q ? rd_q : {WW{1'b0}};
    for (field = 0; field < FIELDS; field = field + 1) begin
      if (fw_valid_q && fw_addr_q == w_addr_q && fw_field_q == field[FW-1:0])
        w_base[field*ACC+:ACC] = fw_sum_q;
    end
    w_sum = {ACC{1'b0}};
    w_word = w_base;
    for (field = 0; field < FIELDS; field = field + 1) begin
      if (w_field_q == field[FW-1:0]) begin
        w_sum = w_base[field*ACC+:ACC] + {{(ACC - PW) {w_product_q[PW-1]}}, w_product_q};
        w_word[field*ACC+:ACC] = w_sum;
      end
    end
    live_d = live_q;
    if (take) live_d[take_addr] = 1'b0;
    if (w_valid_q) live_d[w_addr_q] = 1'b1;
  end
  always @(posedge clk) begin
    w_valid_q <= rst ? 1'b0 : mac_valid;
    w_live_q <= live_q[mac_addr];
    w_addr_q <= mac_addr;
    w_field_q <= mac_field;
    w_product_q <= mac_product;
    fw_valid_q <= rst ? 1'b0 : w_valid_q;
    fw_addr_q <= w_addr_q;
    fw_field_q <= w_field_q;
    fw_sum_q <= w_sum;
    live_q <= rst ? {DEPTH{1'b0}} : live_d;
  end
  (* ram_style = (DEPTH > LUT_RAM_DEPTH) ? "block" : "auto" *)
  reg [WW-1:0] acc_mem[0:DEPTH-1];
  always @(posedge clk) begin
    if (!rst && w_valid_q) acc_mem[w_addr_q] <= w_word;
    rd_q <= acc_mem[read ? read_addr : mac_addr];
  end
  assign word = live_q[take_addr] ? rd_q : {WW{1'b0}};
endmodule
`default_nettype wire
