`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_act_lanes: the activation stage of an element-wise pipeline: LANES table units
// (rnnfab_act, eight cycles: its LATENCY) side by side, lane l a sigmoid when bit l of
// SIGMOID_LANES is set and a tanh otherwise. Each lane has its own table (a dual-port ROM), as
// one rnnfab_act.
module rnnfab_act_lanes #(
    parameter LANES = 1,                  // activation units
    parameter SIGMOID_LANES = 1,          // bit l set: lane l is a sigmoid (else a tanh)
    parameter AB = 16,                    // activation width
    parameter AF = 12,                    // activation fraction bits
    `RNNFAB_ACT_TABLE_PARAMS              // the activation tables (rnnfab_pkg.vh)
) (
    input  wire                clk,  // clock
    input  wire [`RNNFAB_ACT_LATENCY-1:0] en,  // en[k - 1]: enable of stage Ak of every lane
    input  wire [LANES*AB-1:0] x,    // lane l: x[l*AB +: AB]
    output wire [LANES*AB-1:0] y     // lane l: f(x) eight cycles after x (rnnfab_act's LATENCY)
);
  initial begin
    if (LANES < 1 || SIGMOID_LANES < 0 || SIGMOID_LANES >= (1 << LANES)) begin
      $display("%m: bad parameters LANES=%0d SIGMOID_LANES=%0d", LANES, SIGMOID_LANES);
      $finish;
    end
  end

  genvar lane;
  generate
    for (lane = 0; lane < LANES; lane = lane + 1) begin : gen_lane
      wire [AB-1:0] lane_x = x[lane*AB+:AB];
      if (((SIGMOID_LANES >> lane) & 1) != 0) begin : gen_sigmoid
        rnnfab_act #(.AB(AB), .AF(AF), .STEP_LOG2(SIG_S), .RANGE_LOG2(SIG_R), .IS_SIGMOID(1),
                     .TABLE_FILE(SIG_FILE))
            act (.clk(clk), .en(en), .x(lane_x), .y(y[lane*AB+:AB]));
      end else begin : gen_tanh
        rnnfab_act #(.AB(AB), .AF(AF), .STEP_LOG2(TANH_S), .RANGE_LOG2(TANH_R), .IS_SIGMOID(0),
                     .TABLE_FILE(TANH_FILE))
            act (.clk(clk), .en(en), .x(lane_x), .y(y[lane*AB+:AB]));
      end
    end
  endgenerate
endmodule
`default_nettype wire
