`default_nettype none
/* verilator lint_off DECLFILENAME */
// Yosys cost probes for docs/architecture.md ("What limits throughput within the budget"): not
// part of any design, never simulated; synthesized alone to measure what a change to the
// accumulator banks (rnnfab_acc_mem.v) would save before building it:
//   yosys -p "read_verilog bench/probes/acc_probes.v; chparam -set S 4 acc_seqs_probe;
//             synth_xilinx -family xcu -top acc_seqs_probe -noiopad -noclkbuf; stat -tech xilinx"
// (LUTs: the LUT1..LUT6 cells plus 8 per RAM32M16), and the same with -top dsp_postadd_probe.

// acc_seqs_probe: one accumulator bank of the ESE-shaped 32 x 8 design (4 words, five 39-bit
// fields, the fifth a second consumer's, forwarding, live bits, the consumers' and the MAC's read
// registers, as rnnfab_acc_mem with FIELDS2 = 1) holding S sequences: the S sequences share the
// word and field addresses, the live bits, the forwarding compare and the read-register control,
// and each has its own storage (the field memories are S x ACC bits wide), adder, forwarded sum
// and read registers. S = 1 is the bank as built (a cost within 4% of rnnfab_acc_mem's).
module acc_seqs_probe #(
    parameter S = 4,       // sequences sharing the bank
    parameter DEPTH = 4,   // words
    parameter FIELDS = 5,  // fields per word (the last one the second consumer's)
    parameter ACC = 39,    // accumulator width
    parameter PW = 28      // product width
) (
    input  wire                      clk,          // clock
    input  wire                      rst,          // synchronous reset
    input  wire                      mac_valid,    // M: a MAC of every sequence
    input  wire [               1:0] mac_addr,     // M: its word
    input  wire [               2:0] mac_field,    // M: its field
    input  wire [          S*PW-1:0] mac_product,  // M: the products, sequence s at s*PW
    input  wire                      read,         // the consumer reads read_addr
    input  wire [               1:0] read_addr,    // its word
    input  wire [             S-1:0] read_seq,     // for these sequences
    input  wire                      take,         // the consumer takes take_addr
    input  wire [               1:0] take_addr,    // its word
    input  wire                      read2,        // the second consumer reads read2_addr
    input  wire [               1:0] read2_addr,   // its word
    input  wire                      take2,        // the second consumer takes take2_addr
    input  wire [               1:0] take2_addr,   // its word
    output wire [S*FIELDS*ACC-1:0]   word          // the read registers
);
  reg w_valid_q;
  reg [1:0] w_addr_q;
  reg [2:0] w_field_q;
  reg [S*PW-1:0] w_product_q;
  (* keep *) wire fw_match = mac_valid && w_valid_q && mac_addr == w_addr_q && mac_field == w_field_q;
  always @(posedge clk) begin
    w_valid_q <= rst ? 1'b0 : mac_valid;
    w_addr_q <= mac_addr;
    w_field_q <= mac_field;
    w_product_q <= mac_product;
  end
  wire [S*FIELDS*ACC-1:0] mac_rd;
  wire [S*ACC-1:0] w_sum;
  genvar f, s;
  generate
    for (s = 0; s < S; s = s + 1) begin : gen_seq
      reg [ACC-1:0] fw_q, base;
      integer i;
      always @* begin
        base = fw_q;
        for (i = 0; i < FIELDS; i = i + 1) base = base | mac_rd[(s*FIELDS+i)*ACC+:ACC];
      end
      assign w_sum[s*ACC+:ACC] = {{(ACC - PW) {w_product_q[s*PW+PW-1]}}, w_product_q[s*PW+:PW]} +
                                 base;
      always @(posedge clk) fw_q <= fw_match ? w_sum[s*ACC+:ACC] : {ACC{1'b0}};
    end
    for (f = 0; f < FIELDS; f = f + 1) begin : gen_field
      localparam [2:0] F = f;
      wire c_read = (f < FIELDS - 1) ? read : read2;
      wire c_take = (f < FIELDS - 1) ? take : take2;
      wire [1:0] c_read_addr = (f < FIELDS - 1) ? read_addr : read2_addr;
      wire [1:0] c_take_addr = (f < FIELDS - 1) ? take_addr : take2_addr;
      wire [1:0] rd_addr = c_read ? c_read_addr : mac_addr;
      wire w_here = w_valid_q && w_field_q == F;
      reg [DEPTH-1:0] live_q, live_d;
      integer a;
      always @* begin
        for (a = 0; a < DEPTH; a = a + 1)
          live_d[a] = (live_q[a] && !(c_take && c_take_addr == a[1:0])) ||
                      (w_here && w_addr_q == a[1:0]);
      end
      reg [S*ACC-1:0] acc_mem[0:DEPTH-1];
      always @(posedge clk) begin
        live_q <= rst ? {DEPTH{1'b0}} : live_d;
        if (!rst && w_here) acc_mem[w_addr_q] <= w_sum;
      end
      wire [S*ACC-1:0] rd_word = acc_mem[rd_addr];
      wire rd_live = live_q[rd_addr];
      wire mac_load = mac_valid && mac_field == F && !fw_match;
      for (s = 0; s < S; s = s + 1) begin : gen_s
        reg [ACC-1:0] rd_q, mac_q;
        wire my_read = (f < FIELDS - 1) ? (read && read_seq[s]) : read2;
        always @(posedge clk) begin
          if (!my_read || !rd_live) rd_q <= {ACC{1'b0}};
          else rd_q <= rd_word[s*ACC+:ACC];
          if (!mac_load || !rd_live) mac_q <= {ACC{1'b0}};
          else mac_q <= rd_word[s*ACC+:ACC];
        end
        assign mac_rd[(s*FIELDS+f)*ACC+:ACC] = mac_q;
        assign word[(s*FIELDS+f)*ACC+:ACC] = rd_q;
      end
    end
  endgenerate
endmodule

// acc_fields_probe: acc_seqs_probe with the four gate fields of a word in one memory of 4 x DEPTH
// words (address {field, word}) read by the MAC and the consumer through one port (they never
// read gate fields in the same cycle), and the fifth field in a memory of its own (its MACs and
// its consumer's reads share its port, as in rnnfab_acc_mem): two 39-bit read ports per
// sequence where the bank as built has five. The consumer then reads one gate field per read
// (read_field), so a cell's four gate fields take four reads: with S = 4 sequences sharing one
// element-wise unit (a cell of each sequence every 4 cycles) one port keeps up, and the unit's
// input comes 3 cycles later (built as rnnfab_acc_serial.v for S = 1: EW_LAT + 3).
// The base of the adder is the OR of three registers (gate read, fifth-field read, forwarded
// sum) instead of six.
module acc_fields_probe #(
    parameter S = 4,       // sequences sharing the bank
    parameter DEPTH = 4,   // words
    parameter ACC = 39,    // accumulator width
    parameter PW = 28      // product width
) (
    input  wire                 clk,          // clock
    input  wire                 rst,          // synchronous reset
    input  wire                 mac_valid,    // M: a MAC of every sequence
    input  wire [          1:0] mac_addr,     // M: its word
    input  wire [          2:0] mac_field,    // M: its field (4: the fifth)
    input  wire [     S*PW-1:0] mac_product,  // M: the products, sequence s at s*PW
    input  wire                 read,         // the consumer reads gate field read_field
    input  wire [          1:0] read_field,   // that field
    input  wire [          1:0] read_addr,    // of this word
    input  wire [        S-1:0] read_seq,     // for these sequences
    input  wire                 take,         // the consumer takes gate field take_field
    input  wire [          1:0] take_field,   // that field
    input  wire [          1:0] take_addr,    // of this word
    input  wire                 read2,        // the second consumer reads read2_addr
    input  wire [          1:0] read2_addr,   // its word
    input  wire                 take2,        // the second consumer takes take2_addr
    input  wire [          1:0] take2_addr,   // its word
    output wire [S*2*ACC-1:0]   word          // per sequence: {fifth field, gate field} read
);
  reg w_valid_q;
  reg [1:0] w_addr_q;
  reg [2:0] w_field_q;
  reg [S*PW-1:0] w_product_q;
  (* keep *) wire fw_match = mac_valid && w_valid_q && mac_addr == w_addr_q && mac_field == w_field_q;
  always @(posedge clk) begin
    w_valid_q <= rst ? 1'b0 : mac_valid;
    w_addr_q <= mac_addr;
    w_field_q <= mac_field;
    w_product_q <= mac_product;
  end
  wire w_gate = w_valid_q && !w_field_q[2];
  wire w_proj = w_valid_q && w_field_q[2];
  // gate fields: one memory, live bit per field and word
  wire [3:0] g_rd_addr = read ? {read_field, read_addr} : {mac_field[1:0], mac_addr};
  wire [3:0] g_w_addr = {w_field_q[1:0], w_addr_q};
  wire [3:0] g_take_addr = {take_field, take_addr};
  reg [4*DEPTH-1:0] g_live_q, g_live_d;
  reg [DEPTH-1:0] p_live_q, p_live_d;
  integer a;
  always @* begin
    for (a = 0; a < 4 * DEPTH; a = a + 1)
      g_live_d[a] = (g_live_q[a] && !(take && g_take_addr == a[3:0])) ||
                    (w_gate && g_w_addr == a[3:0]);
    for (a = 0; a < DEPTH; a = a + 1)
      p_live_d[a] = (p_live_q[a] && !(take2 && take2_addr == a[1:0])) ||
                    (w_proj && w_addr_q == a[1:0]);
  end
  wire [S*ACC-1:0] w_sum;
  reg [S*ACC-1:0] g_mem[0:4*DEPTH-1];
  reg [S*ACC-1:0] p_mem[0:DEPTH-1];
  wire [1:0] p_rd_addr = read2 ? read2_addr : mac_addr;
  always @(posedge clk) begin
    g_live_q <= rst ? {4 * DEPTH{1'b0}} : g_live_d;
    p_live_q <= rst ? {DEPTH{1'b0}} : p_live_d;
    if (!rst && w_gate) g_mem[g_w_addr] <= w_sum;
    if (!rst && w_proj) p_mem[w_addr_q] <= w_sum;
  end
  wire [S*ACC-1:0] g_word = g_mem[g_rd_addr];
  wire [S*ACC-1:0] p_word = p_mem[p_rd_addr];
  wire g_live = g_live_q[g_rd_addr];
  wire p_live = p_live_q[p_rd_addr];
  wire g_mac_load = mac_valid && !mac_field[2] && !fw_match;
  wire p_mac_load = mac_valid && mac_field[2] && !fw_match;
  genvar s;
  generate
    for (s = 0; s < S; s = s + 1) begin : gen_seq
      reg [ACC-1:0] fw_q, g_rd_q, g_mac_q, p_rd_q, p_mac_q;
      always @(posedge clk) begin
        if (!(read && read_seq[s]) || !g_live) g_rd_q <= {ACC{1'b0}};
        else g_rd_q <= g_word[s*ACC+:ACC];
        if (!g_mac_load || !g_live) g_mac_q <= {ACC{1'b0}};
        else g_mac_q <= g_word[s*ACC+:ACC];
        if (!read2 || !p_live) p_rd_q <= {ACC{1'b0}};
        else p_rd_q <= p_word[s*ACC+:ACC];
        if (!p_mac_load || !p_live) p_mac_q <= {ACC{1'b0}};
        else p_mac_q <= p_word[s*ACC+:ACC];
        fw_q <= fw_match ? w_sum[s*ACC+:ACC] : {ACC{1'b0}};
      end
      assign w_sum[s*ACC+:ACC] = {{(ACC - PW) {w_product_q[s*PW+PW-1]}}, w_product_q[s*PW+:PW]} +
                                 (fw_q | g_mac_q | p_mac_q);
      assign word[s*2*ACC+:2*ACC] = {p_rd_q, g_rd_q};
    end
  endgenerate
endmodule

// dsp_postadd_probe: the textbook multiply-add with registered inputs and sum (DSP48E2: A/B
// registers, multiplier, post-adder with C, P register). Yosys 0.23's xilinx_dsp folds the adder
// into a DSP48E1 (-family xc7: 1 DSP, no LUT) but not into a DSP48E2 (-family xcu or xcup: 1 DSP,
// 39 LUT2, 10 CARRY4), so the accumulator's adder stays in LUTs unless the primitive is
// instantiated.
module dsp_postadd_probe (
    input  wire               clk,  // clock
    input  wire signed [11:0] a,    // weight
    input  wire signed [15:0] b,    // activation
    input  wire signed [38:0] c,    // accumulator read
    output reg signed  [38:0] p     // sum
);
  reg signed [11:0] a_q;
  reg signed [15:0] b_q;
  always @(posedge clk) begin
    a_q <= a;
    b_q <= b;
    p <= a_q * b_q + c;
  end
endmodule
`default_nettype wire
