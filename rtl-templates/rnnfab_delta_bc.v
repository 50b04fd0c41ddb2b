`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_delta_bc: the delta broadcast between the controller and the PEs of a delta design
// (docs/delta.md, "Hardware"). The controller broadcasts every column of a phase as in a dense
// design, BCAST columns per beat; in a gate phase (phase_proj = 0) the beat goes to the delta
// encoder of its layer (rnnfab_delta_lanes: compare with theta, update v_hat, queue the beat's
// fired columns), and the fired columns leave the encoders' queues one per cycle onto the PEs' bus
// with the pointer
// address of the column's first entry in the PEs' pointer memories (the segment's base plus the
// column); the end-of-step markers are dropped. A projection column (phase_proj = 1) passes
// straight through as its own value with its pointer address where m is not delta-coded
// (PDELTA = 0, one column per beat); with PDELTA = 1 the projection beats go to the layer's
// projection encoder (a rnnfab_delta_lanes of H columns with theta_m and v_hat = m_hat) and leave
// like the gate columns, so the PEs' memories M_r get W_hr * delta. The controller
// walks a layer l > 0's recurrent part first (rnnfab_ctrl RFIRST, set in delta designs), so the
// step's last beat there is the input part's.
//
// With PDELTA = 1 the controller broadcasts layer 0's input part of the next step before the
// projection beats (rnnfab_ctrl XEARLY): both encoders of the layer may hold fired columns at
// once. The gate encoder gives first (its columns were issued first); the stall request follows
// the encoder the phase feeds; and the part bit to the PEs (dl_hpart) marks a projection column
// instead of a recurrent one (an LSTM's MACs need no part; the PEs' bank is the projection's).
//
// Flow control, as between the controller and the PEs (rnnfab_mv_ese.v): the bus never waits.
// The OR of the PEs' registered stall requests is registered here (pe_stall_q) and stops the
// queue's output; this block's own registered request (stall) stops the controller's issue while
// the active encoder's queue holds STALL_SLACK entries less than it has (a column issued in cycle
// t counts in the encoder's level at the end of t + 2, as in the PE: in its S2, the queue a cycle
// later). In a projection phase the PEs' request goes to the controller directly (the
// pass-through adds no register).
//   gate column: bus (B1) -> encoder S1 -> S2 -> queue -> output register -> PEs (P0)
//   projection column: bus (B1) -> PEs (P0); PDELTA = 1: as a gate column, its own encoder
module rnnfab_delta_bc #(
    parameter LAYERS = 1,                    // number of layers
    parameter IN0 = 1,                       // input size of layer 0
    parameter O = 1,                         // output size of a layer (its recurrent columns)
    parameter AB = 16,                       // activation width
    parameter BCAST = 1,                     // columns per beat of the controller's bus
    parameter COL_W = 1,                     // width of the controller's column position
    parameter BP_W = 1,                      // pointer memory address width (the PEs')
    parameter [LAYERS*AB-1:0] THETA_X = 0,   // theta_x of layer l in [l*AB +: AB] (LSBs)
    parameter [LAYERS*AB-1:0] THETA_H = 0,   // theta_h of layer l in [l*AB +: AB] (LSBs)
    parameter [LAYERS*BP_W-1:0] BASE_X = 0,  // pointer address of layer l's W_ih column 0
    parameter [LAYERS*BP_W-1:0] BASE_H = 0,  // pointer address of layer l's W_hh column 0
    parameter [LAYERS*BP_W-1:0] BASE_P = 0,  // pointer address of layer l's W_hr column 0
    parameter QUEUE_DEPTH = 8,               // fired-queue entries of each encoder (>= 5)
    parameter PDELTA = 0,                    // 1: the projection input m is delta-coded
    parameter H = 1,                         // cells of a layer (projection input columns)
    parameter [LAYERS*AB-1:0] THETA_M = 0,   // theta_m of layer l in [l*AB +: AB] (PDELTA)
    // derived: layer index width; leave unset
    parameter LW = `RNNFAB_BITS_FOR(LAYERS - 1)
) (
    input  wire             clk,          // clock
    input  wire             rst,          // synchronous reset: queues empty, every v_hat = 0
    input  wire             bc_valid,     // controller: a column on the bus
    input  wire [BCAST*AB-1:0] bc_data,   // controller: its values (column bc_col + i at i*AB)
    input  wire [COL_W-1:0] bc_col,       // controller: its position in the phase vector
    input  wire             bc_seg_last,  // controller: last column of its part
    input  wire             bc_hpart,     // controller: column of the recurrent part
    input  wire             phase_proj,   // controller: the phase is the projection
    input  wire [   LW-1:0] phase_layer,  // controller: the phase's layer
    input  wire             pe_stall,     // OR of the PEs' registered stall requests
    output wire             stall,        // to the controller: stop issuing columns
    output wire             dl_valid,     // PEs: a column this cycle
    output wire [     AB:0] dl_delta,     // PEs: its delta (AB + 1 bits)
    output wire [ BP_W-1:0] dl_ptr,       // PEs: pointer address of its first entry
    output wire             dl_hpart,     // PEs: recurrent column (PDELTA: projection column)
    output wire             idle          // every encoder drained, nothing on the way
);
  localparam QW = `RNNFAB_BITS_FOR(QUEUE_DEPTH - 1);  // encoder queue pointer width
  localparam STALL_SLACK = 4;  // queue entries past the stall threshold (as rnnfab_mv_ese.v)
  localparam STALL_AT_I = QUEUE_DEPTH - STALL_SLACK;
  localparam [QW:0] STALL_AT = STALL_AT_I[QW:0];  // stall from this level on
  localparam XW = `RNNFAB_MAX(COL_W, BP_W) + 1;  // column arithmetic width

  initial begin
    if (LAYERS < 1 || IN0 < 1 || O < 1 || QUEUE_DEPTH < STALL_SLACK + 1 || BP_W < 1 ||
        COL_W < 1) begin
      $display("%m: bad parameters LAYERS=%0d IN0=%0d O=%0d QUEUE_DEPTH=%0d BP_W=%0d COL_W=%0d",
               LAYERS, IN0, O, QUEUE_DEPTH, BP_W, COL_W);
      $finish;
    end
  end

  // ---------------- one encoder per layer; only the phase's layer takes columns
  wire gate_column = bc_valid && !phase_proj;
  wire [XW-1:0] bc_col_x = {{(XW - COL_W) {1'b0}}, bc_col};
  wire [LAYERS-1:0] enc_valid, enc_none, enc_idle;
  wire [LAYERS*BP_W-1:0] enc_ptr;
  wire [LAYERS*(AB+1)-1:0] enc_delta;
  wire [LAYERS*(QW+1)-1:0] enc_level;
  wire [LAYERS-1:0] enc_fire, enc_hpart_all;
  reg pe_stall_q;
  wire pop = !pe_stall_q;  // the phase's encoder gives its head (if any) this cycle
  genvar l;
  generate
    for (l = 0; l < LAYERS; l = l + 1) begin : gen_enc
      localparam integer IN_L = (l == 0) ? IN0 : O;  // input columns of layer l
      localparam [LW-1:0] LAYER = l[LW-1:0];
      // the step's last beat: the recurrent part's last, or the input part's where the controller
      // walks a layer l > 0's recurrent part first (rnnfab_ctrl RFIRST, set in delta designs)
      localparam RFIRST_L = (l > 0) ? 1'b1 : 1'b0;
      assign enc_none[l] = !enc_fire[l];
      rnnfab_delta_lanes #(
          .AB(AB), .W(BCAST), .IN(IN_L), .O(O), .QUEUE_DEPTH(QUEUE_DEPTH), .POS_W(COL_W),
          .PTR_W(BP_W)
      ) enc (
          .clk(clk), .rst(rst), .theta_x(THETA_X[l*AB+:AB]), .theta_h(THETA_H[l*AB+:AB]),
          .base_x(BASE_X[l*BP_W+:BP_W]), .base_h(BASE_H[l*BP_W+:BP_W]),
          .in_valid(gate_column && phase_layer == LAYER), .in_pos(bc_col), .in_data(bc_data),
          .in_last(bc_seg_last && (bc_hpart ^ RFIRST_L)), .out_ready(pop && phase_layer == LAYER),
          .out_valid(enc_valid[l]), .out_fire(enc_fire[l]), .out_ptr(enc_ptr[l*BP_W+:BP_W]),
          .out_hpart(enc_hpart_all[l]), .out_delta(enc_delta[l*(AB+1)+:AB+1]),
          .level(enc_level[l*(QW+1)+:QW+1]), .idle(enc_idle[l])
      );
    end
  endgenerate

  // ---------------- PDELTA: one projection encoder per layer (m: H columns with theta_m; its
  // second part, one column that is never fed, is unused)
  wire proj_coded = (PDELTA != 0) && phase_proj;
  wire [LAYERS-1:0] penc_valid, penc_fire, penc_idle;
  wire [LAYERS*BP_W-1:0] penc_ptr;
  wire [LAYERS*(AB+1)-1:0] penc_delta;
  wire [LAYERS*(QW+1)-1:0] penc_level;
  generate
    for (l = 0; l < LAYERS; l = l + 1) begin : gen_penc
      localparam [LW-1:0] LAYER = l[LW-1:0];
      if (PDELTA != 0) begin : gen_coded
        wire unused_hpart;
        rnnfab_delta_lanes #(
            .AB(AB), .W(BCAST), .IN(H), .O(1), .QUEUE_DEPTH(QUEUE_DEPTH), .POS_W(COL_W + 1),
            .PTR_W(BP_W)
        ) penc (
            .clk(clk), .rst(rst), .theta_x(THETA_M[l*AB+:AB]), .theta_h({AB{1'b1}}),
            .base_x(BASE_P[l*BP_W+:BP_W]), .base_h({BP_W{1'b0}}),
            .in_valid(bc_valid && phase_proj && phase_layer == LAYER), .in_pos({1'b0, bc_col}),
            .in_data(bc_data), .in_last(bc_seg_last),
            .out_ready(pop && phase_proj && phase_layer == LAYER && !enc_valid[l]),
            .out_valid(penc_valid[l]),
            .out_fire(penc_fire[l]), .out_ptr(penc_ptr[l*BP_W+:BP_W]),
            .out_hpart(unused_hpart), .out_delta(penc_delta[l*(AB+1)+:AB+1]),
            .level(penc_level[l*(QW+1)+:QW+1]), .idle(penc_idle[l])
        );
      end else begin : gen_dense
        assign {penc_valid[l], penc_fire[l], penc_idle[l]} = 3'b001;
        assign penc_ptr[l*BP_W+:BP_W] = {BP_W{1'b0}};
        assign penc_delta[l*(AB+1)+:AB+1] = {(AB + 1) {1'b0}};
        assign penc_level[l*(QW+1)+:QW+1] = {(QW + 1) {1'b0}};
      end
    end
  endgenerate

  // ---------------- the head -> output register (pointer address of the column): the gate
  // encoder's while it holds a beat, else in a projection phase the projection encoder's
  wire [QW:0] head_level = proj_coded ? penc_level[phase_layer*(QW+1)+:QW+1] :
      enc_level[phase_layer*(QW+1)+:QW+1];  // the level of the encoder the phase feeds
  wire use_penc = proj_coded && !enc_valid[phase_layer];
  wire head_valid = use_penc ? penc_valid[phase_layer] : enc_valid[phase_layer];
  wire head_none = use_penc ? !penc_fire[phase_layer] : enc_none[phase_layer];
  wire [AB:0] head_delta = use_penc ? penc_delta[phase_layer*(AB+1)+:AB+1] :
      enc_delta[phase_layer*(AB+1)+:AB+1];
  // the encoders give the column's pointer address (their base + the column: one adder each)
  wire head_hpart = (PDELTA != 0) ? use_penc : enc_hpart_all[phase_layer];
  wire [BP_W-1:0] head_ptr = use_penc ? penc_ptr[phase_layer*BP_W+:BP_W] :
      enc_ptr[phase_layer*BP_W+:BP_W];
  reg out_valid_q, out_hpart_q, stall_q;
  reg [AB:0] out_delta_q;
  reg [BP_W-1:0] out_ptr_q;
  always @(posedge clk) begin
    pe_stall_q <= rst ? 1'b0 : pe_stall;
    out_valid_q <= rst ? 1'b0 : (pop && head_valid && !head_none);
    out_hpart_q <= head_hpart;
    out_delta_q <= head_delta;
    out_ptr_q <= head_ptr;
    stall_q <= rst ? 1'b0 : (head_level >= STALL_AT);
  end

  // ---------------- the bus to the PEs: the output register, or (PDELTA = 0) a projection column
  // as it is
  wire pass = phase_proj && (PDELTA == 0);
  wire [BP_W-1:0] proj_ptr = BASE_P[phase_layer*BP_W+:BP_W] + bc_col_x[BP_W-1:0];
  assign dl_valid = pass ? bc_valid : out_valid_q;
  assign dl_delta = pass ? {bc_data[AB-1], bc_data[AB-1:0]} : out_delta_q;
  assign dl_ptr = pass ? proj_ptr : out_ptr_q;
  assign dl_hpart = pass ? 1'b0 : out_hpart_q;
  assign stall = pass ? pe_stall : stall_q;
  assign idle = (&enc_idle) && (&penc_idle) && !out_valid_q;
  wire unused_bc = &{1'b0, bc_col_x};
endmodule
`default_nettype wire
