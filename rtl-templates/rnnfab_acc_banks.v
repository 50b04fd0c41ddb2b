`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_acc_banks: the accumulators of one kind of a PE (the gate accumulators, or the
// projection accumulators) in LANES banks (docs/architecture.md, "MAC lanes"): row k lives in
// bank k mod LANES at word k div LANES, so the LANES products of a line (one per lane, lane l in
// mac_product[l*PW +: PW]) write LANES different banks in one cycle, each a rnnfab_acc_mem with
// its own read-modify-write port. The consumer (the element-wise unit, the requantizer) reads row
// read_k and takes it the next cycle (take_k): only the bank read holds a word (a bank not read
// outputs zero, rnnfab_acc_mem), so `word` is the OR of the banks' words, not a multiplexer
// (Yosys built a part-select of the banks' words as a shifter over all of them). With FIELDS2 > 0
// the last FIELDS2 fields are a second consumer's (read2_k, take2_k: the projection rows beside
// the gate fields, sharing each bank's adder; rnnfab_acc_mem).
module rnnfab_acc_banks #(
    parameter LANES = 1,             // banks (MAC lanes: 1, 2, 4, 8, 16)
    parameter WORDS = 1,             // rows held (rounded up to whole lines)
    parameter FIELDS = 4,            // accumulator fields per word
    parameter ACC = 40,              // accumulator width
    parameter PW = 28,               // product width
    parameter LUT_RAM_DEPTH = 64,    // deepest memory left to LUT RAM
    parameter KEEP = 0,              // 1: a take leaves the word (rnnfab_acc_mem; LANES = 1)
    parameter FIELDS2 = 0,           // the last FIELDS2 fields: the second consumer's
    parameter MW = 1,                // width of mac_line (at least the bank address width)
    parameter IW = 1,                // width of read_k, take_k (holds 0 .. WORDS - 1)
    parameter IW2 = 1,               // width of read2_k, take2_k
    // derived: words per bank, bank address and field index widths; leave unset
    parameter BANK_DEPTH = (WORDS + LANES - 1) / LANES,
    parameter BAW = `RNNFAB_BITS_FOR(BANK_DEPTH - 1),
    parameter FW = `RNNFAB_BITS_FOR(FIELDS - 1)
) (
    input  wire                  clk,          // clock
    input  wire                  rst,          // synchronous reset: every word reads zero
    input  wire                  mac_valid,    // M: lane l adds its product to row line*L + l
    input  wire [      MW-1:0]   mac_line,     // M: the line (its low BAW bits: the bank word)
    input  wire [      FW-1:0]   mac_field,    // M: the field
    input  wire [LANES*PW-1:0]   mac_product,  // M: the products, lane l in [l*PW +: PW]
    input  wire                  read,         // the consumer reads row read_k
    input  wire [      IW-1:0]   read_k,       // its row
    input  wire                  take,         // the consumer takes row take_k (read before)
    input  wire [      IW-1:0]   take_k,       // its row
    input  wire                  read2,        // the second consumer reads row read2_k
    input  wire [     IW2-1:0]   read2_k,      // its row
    input  wire                  take2,        // the second consumer takes row take2_k
    input  wire [     IW2-1:0]   take2_k,      // its row
    output wire [FIELDS*ACC-1:0] word          // the row read (zero if not live or not read)
);
  localparam LB = `RNNFAB_BITS_FOR(LANES - 1);  // bank index width (1 for one bank)
  localparam WW = FIELDS * ACC;  // word width

  initial begin
    if (!(LANES == 1 || LANES == 2 || LANES == 4 || LANES == 8 || LANES == 16) || WORDS < 1 ||
        MW < BAW || IW < 1 || IW2 < 1 || (KEEP != 0 && LANES != 1)) begin
      $display("%m: bad parameters LANES=%0d WORDS=%0d MW=%0d IW=%0d BAW=%0d KEEP=%0d", LANES,
               WORDS, MW, IW, BAW, KEEP);
      $finish;
    end
  end

  // row k: bank k mod LANES, word k div LANES (XW bits: the shift loses nothing, and the bank
  // address is a part of it whatever the row widths)
  localparam XW = `RNNFAB_MAX(`RNNFAB_MAX(IW, IW2), BAW) + LB;
  wire [XW-1:0] read_ext = {{(XW - IW) {1'b0}}, read_k};
  wire [XW-1:0] take_ext = {{(XW - IW) {1'b0}}, take_k};
  wire [XW-1:0] read_word = LANES > 1 ? read_ext >> LB : read_ext;
  wire [XW-1:0] take_word = LANES > 1 ? take_ext >> LB : take_ext;
  wire [LANES*WW-1:0] bank_words;
  wire [XW-1:0] read2_ext = {{(XW - IW2) {1'b0}}, read2_k};
  wire [XW-1:0] take2_ext = {{(XW - IW2) {1'b0}}, take2_k};
  wire [XW-1:0] read2_word = LANES > 1 ? read2_ext >> LB : read2_ext;
  wire [XW-1:0] take2_word = LANES > 1 ? take2_ext >> LB : take2_ext;
  wire unused_rows = &{1'b0, read_word, take_word, read2_word, take2_word, mac_line};
  genvar b;
  generate
    for (b = 0; b < LANES; b = b + 1) begin : gen_bank
      localparam integer B_I = b;
      localparam [LB-1:0] BANK = B_I[LB-1:0];
      wire here_read = LANES == 1 || read_ext[LB-1:0] == BANK;
      wire here_take = LANES == 1 || take_ext[LB-1:0] == BANK;
      wire here_read2 = LANES == 1 || read2_ext[LB-1:0] == BANK;
      wire here_take2 = LANES == 1 || take2_ext[LB-1:0] == BANK;
      rnnfab_acc_mem #(
          .DEPTH(BANK_DEPTH), .FIELDS(FIELDS), .ACC(ACC), .PW(PW),
          .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .KEEP(KEEP), .FIELDS2(FIELDS2)
      ) acc (
          .clk(clk), .rst(rst), .mac_valid(mac_valid), .mac_addr(mac_line[BAW-1:0]),
          .mac_field(mac_field), .mac_product(mac_product[b*PW+:PW]),
          .read(read && here_read), .read_addr(read_word[BAW-1:0]),
          .take(take && here_take), .take_addr(take_word[BAW-1:0]),
          .read2(read2 && here_read2), .read2_addr(read2_word[BAW-1:0]),
          .take2(take2 && here_take2), .take2_addr(take2_word[BAW-1:0]),
          .word(bank_words[b*WW+:WW])
      );
    end
  endgenerate

  // only the bank read holds a word: OR the banks' words
  reg [WW-1:0] banks_or;
  integer ob;
  always @* begin
    banks_or = {WW{1'b0}};
    for (ob = 0; ob < LANES; ob = ob + 1) banks_or = banks_or | bank_words[ob*WW+:WW];
  end
  assign word = banks_or;
endmodule
`default_nettype wire
