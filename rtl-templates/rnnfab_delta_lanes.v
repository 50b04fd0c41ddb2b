`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_delta_lanes: the delta encoder of one layer inside rnnfab_delta_bc (docs/delta.md,
// "Hardware"), W columns per beat: the semantics of rnnfab_delta_enc (compare d = v - v_hat with
// the part's threshold, fire where |d| > theta, v_hat = v there), for a beat of W neighbouring
// columns of the controller's phase vector per cycle. Column positions are the controller's: the
// input part at 0..IN-1, the recurrent part from ALIGN(IN, W) on (both parts start at a whole
// beat), so lane i of a beat at position p holds position p + i, and v_hat of that column lives in
// bank i at word p / W (a beat reads and writes one word of every bank). Lanes past a part's end
// are not columns.
//
//   S1: the beat registered with v_hat of its W columns (synchronous reads, forwarded when S1
//       writes the same word); |d| compared, v_hat written where it fired; a beat with a fired
//       column (or the step's last beat) goes into the queue as {last, recurrent, p, fired lanes,
//       the W deltas}
//   out: the head beat's fired lanes leave one per cycle (lowest lane first) while out_ready; the
//       beat leaves the queue with its last fired lane (a beat without one, the step's end
//       marker, in one cycle with out_fire = 0).
// The queue never refuses a beat: the caller stops the beats in time (it watches `level`).
module rnnfab_delta_lanes #(
    parameter AB = 16,               // activation width (two's complement)
    parameter W = 1,                 // columns per beat (a power of two)
    parameter IN = 1,                // input columns (the first part's length)
    parameter O = 1,                 // recurrent columns (the second part's length)
    parameter QUEUE_DEPTH = 8,       // beats the queue holds
    parameter POS_W = 8,             // width of a column position (holds ALIGN(IN, W) + O - 1)
    // derived; leave unset
    parameter IDX_W = `RNNFAB_BITS_FOR(IN + O - 1),  // encoder index width (x: p, h: IN + j)
    parameter QW = `RNNFAB_BITS_FOR(QUEUE_DEPTH - 1)  // queue pointer width
) (
    input  wire             clk,        // clock
    input  wire             rst,        // synchronous reset: the queue empties, every v_hat = 0
    input  wire [   AB-1:0] theta_x,    // threshold of the input part (activation LSBs)
    input  wire [   AB-1:0] theta_h,    // threshold of the recurrent part
    input  wire             in_valid,   // a beat
    input  wire [POS_W-1:0] in_pos,     // position of its lane 0 (a multiple of W)
    input  wire [ W*AB-1:0] in_data,    // lane i in [i*AB +: AB]
    input  wire             in_last,    // the step's last beat
    input  wire             out_ready,  // the head may give its next entry this cycle
    output wire             out_valid,  // the queue holds a beat
    output wire             out_fire,   // the entry is a fired column (else an end marker)
    output wire [IDX_W-1:0] out_index,  // its index: x column p, or IN + h column j
    output wire             out_hpart,  // it is a recurrent column
    output wire [     AB:0] out_delta,  // its delta (AB + 1 bits)
    output wire [     QW:0] level,      // beats in the queue
    output wire             idle        // S1 and the queue are empty
);
  localparam LB = $clog2(W);  // lane index width (0 for W = 1)
  localparam ALIGN_IN = `RNNFAB_ALIGN(IN, W);  // first position of the recurrent part
  localparam DEPTH = (ALIGN_IN + `RNNFAB_ALIGN(O, W)) / W;  // words of a v_hat bank
  localparam AW = `RNNFAB_BITS_FOR(DEPTH - 1);  // bank address width
  localparam XW = `RNNFAB_MAX(POS_W, IDX_W) + 1;  // position arithmetic width
  localparam [XW-1:0] IN_X = IN[XW-1:0], O_X = O[XW-1:0], ALIGN_X = ALIGN_IN[XW-1:0];
  localparam DW = AB + 1;  // delta width
  localparam EW = 2 + POS_W + W + W * DW;  // queue entry: last, hpart, pos, fired, deltas
  localparam integer LAST_SLOT_I = QUEUE_DEPTH - 1;
  localparam [QW-1:0] LAST_SLOT = LAST_SLOT_I[QW-1:0];

  initial begin
    if (AB < 2 || W < 1 || (1 << LB) != W || IN < 1 || O < 1 || QUEUE_DEPTH < 2 ||
        (1 << POS_W) < ALIGN_IN + O) begin
      $display("%m: bad parameters AB=%0d W=%0d IN=%0d O=%0d QUEUE_DEPTH=%0d POS_W=%0d", AB, W,
               IN, O, QUEUE_DEPTH, POS_W);
      $finish;
    end
  end

  // ---------------- S1: the beat, its columns' v_hat, the compare
  reg s1_valid_q, s1_last_q;
  reg [POS_W-1:0] s1_pos_q;
  reg [W*AB-1:0] s1_data_q;
  wire [W*AB-1:0] s1_vhat;  // v_hat of the beat's columns (read when it was taken)
  wire [XW-1:0] s1_pos_x = {{(XW - POS_W) {1'b0}}, s1_pos_q};
  wire s1_hpart = (s1_pos_x >= ALIGN_X);
  wire [XW-1:0] s1_part_pos = s1_hpart ? s1_pos_x - ALIGN_X : s1_pos_x;  // position in its part
  wire [XW-1:0] s1_part_len = s1_hpart ? O_X : IN_X;
  wire [AB-1:0] s1_theta = s1_hpart ? theta_h : theta_x;
  wire [POS_W-1:0] s1_word_pos = s1_pos_q >> LB;
  wire [AW-1:0] s1_word = s1_word_pos[AW-1:0];
  reg [W-1:0] s1_fired;
  reg [W*DW-1:0] s1_delta;
  reg [AB:0] lane_delta;
  reg [AB-1:0] lane_abs;
  integer i;
  always @* begin
    for (i = 0; i < W; i = i + 1) begin
      lane_delta = {s1_data_q[i*AB+AB-1], s1_data_q[i*AB+:AB]} -
          {s1_vhat[i*AB+AB-1], s1_vhat[i*AB+:AB]};
      // |d| < 2^AB: its AB low bits are exact
      lane_abs = lane_delta[AB] ? ~lane_delta[AB-1:0] + 1'b1 : lane_delta[AB-1:0];
      s1_delta[i*DW+:DW] = lane_delta;
      s1_fired[i] = s1_valid_q && (s1_part_pos + i[XW-1:0] < s1_part_len) &&
          (lane_abs > s1_theta);
    end
  end
  wire s1_push = s1_valid_q && ((|s1_fired) || s1_last_q);

  // ---------------- v_hat banks (synchronous read, forwarded from S1's write) and seen bits
  wire [POS_W-1:0] in_word_pos = in_pos >> LB;
  wire [AW-1:0] in_word = in_word_pos[AW-1:0];
  genvar b;
  generate
    for (b = 0; b < W; b = b + 1) begin : gen_bank
      reg [AB-1:0] vhat_mem[0:DEPTH-1];
      reg [DEPTH-1:0] seen_q;
      reg [AB-1:0] vhat_q;
      assign s1_vhat[b*AB+:AB] = vhat_q;
      always @(posedge clk) begin
        if (s1_fired[b]) vhat_mem[s1_word] <= s1_data_q[b*AB+:AB];
        if (rst) seen_q <= {DEPTH{1'b0}};
        else if (s1_fired[b]) seen_q[s1_word] <= 1'b1;
        if (in_valid) begin
          if (s1_fired[b] && s1_word == in_word) vhat_q <= s1_data_q[b*AB+:AB];
          else if (seen_q[in_word]) vhat_q <= vhat_mem[in_word];
          else vhat_q <= {AB{1'b0}};
        end
      end
    end
  endgenerate
  always @(posedge clk) begin
    s1_valid_q <= rst ? 1'b0 : in_valid;
    if (in_valid) begin
      s1_pos_q <= in_pos;
      s1_data_q <= in_data;
      s1_last_q <= in_last;
    end
  end
  wire unused_pos = &{1'b0, s1_word_pos, in_word_pos, s1_part_pos};

  // ---------------- the queue of beats and the serializer of the head beat
  reg [EW-1:0] queue_mem[0:QUEUE_DEPTH-1];
  reg [QW-1:0] rd_q, wr_q;
  reg [QW:0] count_q;
  reg [W-1:0] sent_q;  // lanes of the head beat already given
  wire [EW-1:0] head = queue_mem[rd_q];
  wire [W*DW-1:0] head_deltas = head[W*DW-1:0];
  wire [W-1:0] head_fired = head[W*DW+:W];
  wire [POS_W-1:0] head_pos = head[W*DW+W+:POS_W];
  wire head_hpart = head[EW-2];
  wire [W-1:0] remaining = head_fired & ~sent_q;
  wire [W-1:0] lowest = remaining & (~remaining + 1'b1);  // its lowest set bit
  reg [LB:0] lane;  // the lowest remaining lane
  integer j;
  always @* begin
    lane = {(LB + 1) {1'b0}};
    for (j = W - 1; j >= 0; j = j - 1) if (remaining[j]) lane = j[LB:0];
  end
  wire give = out_valid && out_ready;
  wire pop = give && ((remaining & ~lowest) == {W{1'b0}});
  wire [XW-1:0] head_lane_pos = {{(XW - POS_W) {1'b0}}, head_pos} + {{(XW - LB - 1) {1'b0}}, lane};
  wire [XW-1:0] head_index = head_hpart ? head_lane_pos - ALIGN_X + IN_X : head_lane_pos;
  assign out_valid = (count_q != 0);
  assign out_fire = (remaining != {W{1'b0}});
  assign out_index = head_index[IDX_W-1:0];
  assign out_hpart = head_hpart;
  assign out_delta = head_deltas[lane*DW+:DW];
  assign level = count_q;
  assign idle = !s1_valid_q && (count_q == 0);
  wire unused_head = &{1'b0, head[EW-1], head_index, lane};
  always @(posedge clk) begin
    if (s1_push) queue_mem[wr_q] <= {s1_last_q, s1_hpart, s1_pos_q, s1_fired, s1_delta};
    if (rst) begin
      rd_q <= {QW{1'b0}};
      wr_q <= {QW{1'b0}};
      count_q <= {(QW + 1) {1'b0}};
      sent_q <= {W{1'b0}};
    end else begin
      if (s1_push) wr_q <= (wr_q == LAST_SLOT) ? {QW{1'b0}} : wr_q + 1'b1;
      if (pop) rd_q <= (rd_q == LAST_SLOT) ? {QW{1'b0}} : rd_q + 1'b1;
      count_q <= count_q + {{QW{1'b0}}, s1_push} - {{QW{1'b0}}, pop};
      if (pop) sent_q <= {W{1'b0}};
      else if (give) sent_q <= sent_q | lowest;
    end
  end
endmodule
`default_nettype wire
