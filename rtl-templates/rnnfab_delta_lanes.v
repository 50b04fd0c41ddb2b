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
//   take: the beat's part, the lanes that are columns of it and its threshold, from its position;
//       v_hat of its W columns read as the bounds v_hat + theta and v_hat - theta (a bank word
//       holds the two: the compare then needs no subtraction first)
//   S1: |d| > theta as v > v_hat + theta or v < v_hat - theta (one compare each, side by side),
//       d = (v + theta) - (v_hat + theta) beside them; the bounds written where it fired (forwarded when
//       the take reads the same word); a beat with a fired column (or the step's last beat) is
//       registered in S2 as {last, recurrent, p, fired lanes, the W deltas}
//   S2: the beat written into the queue (`level` counts it already: the caller's stop sees
//       the same occupancy as if it were in the queue; the head sees it a cycle later)
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
    parameter PTR_W = 8,             // width of a column's address (base_x + p, base_h + j)
    // derived; leave unset
    parameter QW = `RNNFAB_BITS_FOR(QUEUE_DEPTH - 1)  // queue pointer width
) (
    input  wire             clk,        // clock
    input  wire             rst,        // synchronous reset: the queue empties, every v_hat = 0
    input  wire [   AB-1:0] theta_x,    // threshold of the input part (activation LSBs)
    input  wire [   AB-1:0] theta_h,    // threshold of the recurrent part
    input  wire [PTR_W-1:0] base_x,     // address of input column 0 (out_ptr = base_x + p)
    input  wire [PTR_W-1:0] base_h,     // address of recurrent column 0 (out_ptr = base_h + j)
    input  wire             in_valid,   // a beat
    input  wire [POS_W-1:0] in_pos,     // position of its lane 0 (a multiple of W)
    input  wire [ W*AB-1:0] in_data,    // lane i in [i*AB +: AB]
    input  wire             in_last,    // the step's last beat
    input  wire             out_ready,  // the head may give its next entry this cycle
    output wire             out_valid,  // the queue holds a beat
    output wire             out_fire,   // the entry is a fired column (else an end marker)
    output wire [PTR_W-1:0] out_ptr,    // its address: base_x + x column p, or base_h + h column j
    output wire             out_hpart,  // it is a recurrent column
    output wire [     AB:0] out_delta,  // its delta (AB + 1 bits)
    output wire [     QW:0] level,      // beats in the queue
    output wire             idle        // S1 and the queue are empty
);
  localparam LB = $clog2(W);  // lane index width (0 for W = 1)
  localparam ALIGN_IN = `RNNFAB_ALIGN(IN, W);  // first position of the recurrent part
  localparam DEPTH = (ALIGN_IN + `RNNFAB_ALIGN(O, W)) / W;  // words of a v_hat bank
  localparam AW = `RNNFAB_BITS_FOR(DEPTH - 1);  // bank address width
  localparam XW = `RNNFAB_MAX(POS_W, PTR_W) + 1;  // position arithmetic width
  localparam [XW-1:0] IN_X = IN[XW-1:0], O_X = O[XW-1:0], ALIGN_X = ALIGN_IN[XW-1:0];
  localparam DW = AB + 1;  // delta width
  localparam BW = AB + 2;  // bound width: v_hat +- theta (v_hat signed AB bits, theta < 2^AB)
  localparam VW = 2 * BW;  // a v_hat bank word: {v_hat + theta, v_hat - theta}
  localparam EW = 2 + PTR_W + W + W * DW;  // queue entry: last, hpart, lane 0's address, fired, deltas
  localparam integer LAST_SLOT_I = QUEUE_DEPTH - 1;
  localparam [QW-1:0] LAST_SLOT = LAST_SLOT_I[QW-1:0];

  initial begin
    if (AB < 2 || W < 1 || (1 << LB) != W || IN < 1 || O < 1 || QUEUE_DEPTH < 2 ||
        (1 << POS_W) < ALIGN_IN + O || PTR_W < 1) begin
      $display("%m: bad parameters AB=%0d W=%0d IN=%0d O=%0d QUEUE_DEPTH=%0d POS_W=%0d", AB, W,
               IN, O, QUEUE_DEPTH, POS_W);
      $finish;
    end
  end

  // ---------------- the beat's part, its lanes that are columns, its threshold: decided at the
  // take (from in_pos) and registered beside the beat, so S1 only compares
  wire [XW-1:0] in_pos_x = {{(XW - POS_W) {1'b0}}, in_pos};
  wire in_hpart = (in_pos_x >= ALIGN_X);
  wire [XW-1:0] in_part_pos = in_hpart ? in_pos_x - ALIGN_X : in_pos_x;  // position in its part
  wire [XW-1:0] in_part_len = in_hpart ? O_X : IN_X;
  wire [AB-1:0] in_theta = in_hpart ? theta_h : theta_x;
  reg [W-1:0] in_columns;  // lanes that are columns of the part
  integer k;
  always @* begin
    for (k = 0; k < W; k = k + 1) in_columns[k] = (in_part_pos + k[XW-1:0] < in_part_len);
  end
  // a column never fired holds v_hat = 0: the bounds are the part's +-theta
  wire [BW-1:0] in_theta_b = {2'b00, in_theta};
  wire [VW-1:0] in_unseen = {in_theta_b, -in_theta_b};

  // ---------------- S1: the beat, its columns' v_hat and bounds, the compare
  reg s1_valid_q, s1_last_q, s1_hpart_q;
  reg [POS_W-1:0] s1_pos_q;
  reg [XW-1:0] s1_part_pos_q;  // lane 0's position in its part
  reg [W*AB-1:0] s1_data_q;
  reg [W-1:0] s1_columns_q;
  reg [AB-1:0] s1_theta_q;
  wire [W*VW-1:0] s1_vword;  // {v_hat + theta, v_hat - theta} of the beat's columns
  wire [POS_W-1:0] s1_word_pos = s1_pos_q >> LB;
  wire [AW-1:0] s1_word = s1_word_pos[AW-1:0];
  wire [BW-1:0] s1_theta_b = {2'b00, s1_theta_q};
  reg [W-1:0] s1_fired;
  reg [W*DW-1:0] s1_delta;
  reg [W*VW-1:0] s1_new;  // the word a fired column writes: {v + theta, v - theta}
  reg [AB-1:0] lane_v;
  reg [BW-1:0] lane_vb, lane_hi, lane_lo, lane_vt;
  integer i;
  always @* begin
    for (i = 0; i < W; i = i + 1) begin
      lane_v = s1_data_q[i*AB+:AB];
      {lane_hi, lane_lo} = s1_vword[i*VW+:VW];
      lane_vb = {{2{lane_v[AB-1]}}, lane_v};
      lane_vt = lane_vb + s1_theta_b;  // v + theta
      // d = v - v_hat fits AB + 1 bits: the difference of the low AB + 1 bits is exact
      s1_delta[i*DW+:DW] = lane_vt[DW-1:0] - lane_hi[DW-1:0];
      // |v - v_hat| > theta  <=>  v > v_hat + theta  or  v < v_hat - theta (exact in BW bits)
      s1_fired[i] = s1_valid_q && s1_columns_q[i] &&
          ($signed(lane_vb) > $signed(lane_hi) || $signed(lane_vb) < $signed(lane_lo));
      s1_new[i*VW+:VW] = {lane_vt, lane_vb - s1_theta_b};
    end
  end
  wire s1_push = s1_valid_q && ((|s1_fired) || s1_last_q);

  // ---------------- v_hat banks (synchronous read, forwarded from S1's write) and seen bits
  wire [POS_W-1:0] in_word_pos = in_pos >> LB;
  wire [AW-1:0] in_word = in_word_pos[AW-1:0];
  genvar b;
  generate
    for (b = 0; b < W; b = b + 1) begin : gen_bank
      reg [VW-1:0] vhat_mem[0:DEPTH-1];
      reg [DEPTH-1:0] seen_q;
      reg [VW-1:0] vword_q;
      assign s1_vword[b*VW+:VW] = vword_q;
      always @(posedge clk) begin
        if (s1_fired[b]) vhat_mem[s1_word] <= s1_new[b*VW+:VW];
        if (rst) seen_q <= {DEPTH{1'b0}};
        else if (s1_fired[b]) seen_q[s1_word] <= 1'b1;
        if (in_valid) begin
          if (s1_fired[b] && s1_word == in_word) vword_q <= s1_new[b*VW+:VW];
          else if (seen_q[in_word]) vword_q <= vhat_mem[in_word];
          else vword_q <= in_unseen;
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
      s1_hpart_q <= in_hpart;
      s1_part_pos_q <= in_part_pos;
      s1_columns_q <= in_columns;
      s1_theta_q <= in_theta;
    end
  end
  wire unused_pos = &{1'b0, s1_word_pos, in_word_pos, s1_part_pos_q[XW-1:PTR_W]};
  // the address of lane 0's column (lane i's is this + i), so the head adds only the lane
  wire [PTR_W-1:0] s1_ptr0 = (s1_hpart_q ? base_h : base_x) + s1_part_pos_q[PTR_W-1:0];

  // ---------------- S2: the beat S1 pushes, registered before the queue's write (so the compare
  // does not fan out to the queue's write enables); `level` counts it as in the queue
  reg s2_valid_q;
  reg [EW-1:0] s2_entry_q;
  always @(posedge clk) begin
    s2_valid_q <= rst ? 1'b0 : s1_push;
    s2_entry_q <= {s1_last_q, s1_hpart_q, s1_ptr0, s1_fired, s1_delta};
  end

  // ---------------- the queue of beats and the serializer of the head beat
  reg [EW-1:0] queue_mem[0:QUEUE_DEPTH-1];
  reg [QW-1:0] rd_q, wr_q;
  reg [QW:0] count_q;  // beats in the queue
  reg [W-1:0] sent_q;  // lanes of the head beat already given
  wire [EW-1:0] head = queue_mem[rd_q];
  wire [W*DW-1:0] head_deltas = head[W*DW-1:0];
  wire [W-1:0] head_fired = head[W*DW+:W];
  wire [PTR_W-1:0] head_ptr0 = head[W*DW+W+:PTR_W];
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
  wire [XW-1:0] head_ptr = {{(XW - PTR_W) {1'b0}}, head_ptr0} + {{(XW - LB - 1) {1'b0}}, lane};
  assign out_valid = (count_q != 0);
  assign out_fire = (remaining != {W{1'b0}});
  assign out_ptr = head_ptr[PTR_W-1:0];
  assign out_hpart = head_hpart;
  assign out_delta = head_deltas[lane*DW+:DW];
  // beats in the queue and S2: the same count a register of level + push - pop would hold (its
  // recurrence is count's plus S2's), without the compare's push on an adder into a register
  // (delta-lstmp-8pe's critical path ended there, docs/timing.md)
  assign level = count_q + {{QW{1'b0}}, s2_valid_q};
  assign idle = !s1_valid_q && !s2_valid_q && (count_q == 0);
  wire unused_head = &{1'b0, head[EW-1], head_ptr[XW-1:PTR_W], lane};
  always @(posedge clk) begin
    if (s2_valid_q) queue_mem[wr_q] <= s2_entry_q;
    if (rst) begin
      rd_q <= {QW{1'b0}};
      wr_q <= {QW{1'b0}};
      count_q <= {(QW + 1) {1'b0}};
      sent_q <= {W{1'b0}};
    end else begin
      if (s2_valid_q) wr_q <= (wr_q == LAST_SLOT) ? {QW{1'b0}} : wr_q + 1'b1;
      if (pop) rd_q <= (rd_q == LAST_SLOT) ? {QW{1'b0}} : rd_q + 1'b1;
      count_q <= count_q + {{QW{1'b0}}, s2_valid_q} - {{QW{1'b0}}, pop};
      if (pop) sent_q <= {W{1'b0}};
      else if (give) sent_q <= sent_q | lowest;
    end
  end
endmodule
`default_nettype wire
