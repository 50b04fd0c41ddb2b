`default_nettype none
`include "rnnfab_pkg.vh"
// rnnfab_delta_enc: the delta encoder of one layer (docs/delta.md, "Semantics" and "Fixed point").
// It takes the layer's column vector v = [x(t) ; h(t-1)] one value per cycle (index, value,
// valid/ready), compares d = v - v_hat[index] with the threshold of the index's part (theta_x
// below SPLIT, theta_h from SPLIT on) and, where |d| > theta, fires: v_hat[index] = v and the
// entry (index, d) goes into the fired queue (valid/ready). v_hat keeps AB-bit copies, never
// rounded; d has AB + 1 bits. The last value of a step (in_last) always leaves an entry with
// out_last set: the fired entry of that column, or an empty marker (out_none) where it did not
// fire, so that the consumer sees where every step's fired list ends. `clear` sets every v_hat to
// 0 (a new sequence); `rst` also empties the pipeline and the queue. rnnfab_delta_bc holds one
// per layer (docs/delta.md, "Hardware").
//
// Pipeline: the input is registered in stage S1 together with v_hat[index] (a synchronous read,
// forwarded when S1 is writing the same index); S1 subtracts, compares and writes the queue.
module rnnfab_delta_enc #(
    parameter AB = 16,                                // activation width (two's complement)
    parameter COLS = 8,                               // columns of the layer (I + R)
    parameter SPLIT = 4,                              // first column of the h part (I)
    parameter QUEUE_DEPTH = 4,                        // fired-queue entries (at least 2)
    parameter IDX_W = `RNNFAB_BITS_FOR(COLS - 1),     // column index width (derived)
    parameter QW = `RNNFAB_BITS_FOR(QUEUE_DEPTH - 1)  // queue pointer width (derived)
) (
    input  wire             clk,        // clock
    input  wire             rst,        // synchronous reset: empties S1 and the queue, v_hat = 0
    input  wire             clear,      // synchronous: every v_hat = 0 (start of a sequence)
    input  wire [AB-1:0]    theta_x,    // threshold of columns < SPLIT (unsigned, activation LSBs)
    input  wire [AB-1:0]    theta_h,    // threshold of columns >= SPLIT
    input  wire             in_valid,   // a value is offered
    output wire             in_ready,   // it is taken at this edge (with in_valid)
    input  wire [IDX_W-1:0] in_index,   // its column
    input  wire [AB-1:0]    in_value,   // the value v
    input  wire             in_last,    // the last value of the step
    output wire             out_valid,  // the queue holds an entry
    input  wire             out_ready,  // the entry is taken at this edge (with out_valid)
    output wire [IDX_W-1:0] out_index,  // fired column
    output wire [AB:0]      out_delta,  // d = v - v_hat (AB + 1 bits, two's complement)
    output wire             out_last,   // the step's last entry
    output wire             out_none,   // an empty end-of-step marker (no column fired)
    output wire [QW:0]      level,      // entries in the queue
    output wire             idle        // S1 and the queue are empty
);
  initial begin
    if (AB < 2 || COLS < 1 || SPLIT < 0 || SPLIT > COLS || QUEUE_DEPTH < 2 ||
        IDX_W < `RNNFAB_BITS_FOR(COLS - 1) || QW < `RNNFAB_BITS_FOR(QUEUE_DEPTH - 1)) begin
      $display("%m: bad parameters AB=%0d COLS=%0d SPLIT=%0d QUEUE_DEPTH=%0d IDX_W=%0d QW=%0d",
               AB, COLS, SPLIT, QUEUE_DEPTH, IDX_W, QW);
      $finish;
    end
  end

  localparam EW = IDX_W + AB + 3;  // queue entry: none, last, index, delta
  localparam integer LAST_SLOT_I = QUEUE_DEPTH - 1;
  localparam [QW-1:0] LAST_SLOT = LAST_SLOT_I[QW-1:0];  // the queue's last slot
  localparam [QW:0] DEPTH = QUEUE_DEPTH[QW:0];          // the queue's depth at the count's width

  // ---------------- v_hat memory (synchronous read) and the "sent since clear" bits
  reg [AB-1:0] vhat_mem[0:COLS-1];
  reg [COLS-1:0] seen_q, seen_d;

  // ---------------- stage S1
  reg s1_valid_q, s1_valid_d;
  reg [IDX_W-1:0] s1_index_q;
  reg [AB-1:0] s1_value_q;
  reg s1_last_q;
  reg [AB-1:0] s1_vhat_q, s1_vhat_d;  // v_hat[index] (0 when not seen), read when taken

  // ---------------- fired queue
  reg [EW-1:0] queue_mem[0:QUEUE_DEPTH-1];
  reg [QW-1:0] rd_q, rd_d, wr_q, wr_d;
  reg [QW:0] count_q, count_d;

  // S1: d = v - v_hat, |d| (AB bits: both operands are AB-bit), the part's threshold
  wire [AB:0] s1_delta = {s1_value_q[AB-1], s1_value_q} - {s1_vhat_q[AB-1], s1_vhat_q};
  // |d| < 2^AB, so its AB low bits are exact: -d = ~d + 1 on those bits
  wire [AB-1:0] s1_abs = s1_delta[AB] ? ~s1_delta[AB-1:0] + 1'b1 : s1_delta[AB-1:0];
  wire [AB-1:0] s1_theta;
  generate
    if (SPLIT == 0) begin : g_h_only
      assign s1_theta = theta_h;
      wire unused_theta_x = &theta_x;  // no x part
    end else begin : g_split
      localparam [IDX_W:0] SPLIT_AT = SPLIT[IDX_W:0];  // SPLIT at the index's width + 1
      assign s1_theta = ({1'b0, s1_index_q} < SPLIT_AT) ? theta_x : theta_h;
    end
  endgenerate
  wire s1_fire = s1_valid_q && (s1_abs > s1_theta);
  wire s1_push = s1_valid_q && (s1_fire || s1_last_q);
  wire queue_full = (count_q == DEPTH);
  wire s1_advance = !s1_push || !queue_full;
  wire pop = out_valid && out_ready;
  wire take = in_valid && in_ready;
  wire [EW-1:0] s1_entry = {!s1_fire, s1_last_q, s1_index_q, s1_delta};

  assign in_ready = !s1_valid_q || s1_advance;
  assign out_valid = (count_q != 0);
  assign {out_none, out_last, out_index, out_delta} = queue_mem[rd_q];
  assign idle = !s1_valid_q && (count_q == 0);
  assign level = count_q;

  // Next state.
  always @* begin
    seen_d = seen_q;
    if (s1_fire && s1_advance) seen_d[s1_index_q] = 1'b1;
    if (clear) seen_d = {COLS{1'b0}};
    s1_valid_d = take ? 1'b1 : (s1_valid_q && !s1_advance);
    // the read sees this edge's write of the same column (forwarded) and this edge's clear
    if (clear)
      s1_vhat_d = {AB{1'b0}};
    else if (s1_fire && s1_advance && s1_index_q == in_index)
      s1_vhat_d = s1_value_q;
    else if (seen_q[in_index])
      s1_vhat_d = vhat_mem[in_index];
    else
      s1_vhat_d = {AB{1'b0}};
    rd_d = rd_q;
    wr_d = wr_q;
    count_d = count_q;
    if (pop) begin
      rd_d = (rd_q == LAST_SLOT) ? {QW{1'b0}} : rd_q + 1'b1;
      count_d = count_d - 1'b1;
    end
    if (s1_push && s1_advance) begin
      wr_d = (wr_q == LAST_SLOT) ? {QW{1'b0}} : wr_q + 1'b1;
      count_d = count_d + 1'b1;
    end
  end

  // Registers.
  always @(posedge clk) begin
    if (s1_fire && s1_advance) vhat_mem[s1_index_q] <= s1_value_q;
    if (s1_push && s1_advance) queue_mem[wr_q] <= s1_entry;
    if (take) begin
      s1_index_q <= in_index;
      s1_value_q <= in_value;
      s1_last_q <= in_last;
      s1_vhat_q <= s1_vhat_d;
    end
    if (rst) begin
      seen_q <= {COLS{1'b0}};
      s1_valid_q <= 1'b0;
      rd_q <= {QW{1'b0}};
      wr_q <= {QW{1'b0}};
      count_q <= {(QW + 1){1'b0}};
    end else begin
      seen_q <= seen_d;
      s1_valid_q <= s1_valid_d;
      rd_q <= rd_d;
      wr_q <= wr_d;
      count_q <= count_d;
    end
  end
endmodule
`default_nettype wire
