`default_nettype none
// rnnfab_delay: STAGES register stages that carry a valid bit (cleared by reset) and its data
// along a pipeline; out_* is in_* of STAGES cycles earlier. The data stages shift only when `en`
// is high (a clock enable): the owner lowers it while no word it will use is in the pipeline,
// which changes no used word and lets the simulator skip the idle stages (docs/simulation.md).
// The valid bits always shift. Each data stage is a register of its own (not one wide vector
// shifted as a whole, which Verilator evaluates slowly); the hardware is the same shift chain.
module rnnfab_delay #(
    parameter WIDTH = 1,   // data bits
    parameter STAGES = 1   // register stages
) (
    input  wire             clk,        // clock
    input  wire             rst,        // synchronous reset: clears the valid bits
    input  wire             en,         // data stages shift (hold when low)
    input  wire             in_valid,   // valid bit in
    input  wire [WIDTH-1:0] in_data,    // data in
    output wire             out_valid,  // in_valid of STAGES cycles earlier
    output wire [WIDTH-1:0] out_data    // in_data of STAGES cycles earlier
);
  initial begin
    if (WIDTH < 1 || STAGES < 1) begin
      $display("%m: bad parameters WIDTH=%0d STAGES=%0d", WIDTH, STAGES);
      $finish;
    end
  end

  // valid bit s belongs to stage s; stage 0 holds the newest
  reg [STAGES-1:0] valid_q, valid_d;
  always @* begin
    valid_d = valid_q << 1;
    valid_d[0] = in_valid;
  end
  always @(posedge clk) valid_q <= rst ? {STAGES{1'b0}} : valid_d;
  assign out_valid = valid_q[STAGES-1];

  genvar s;
  generate
    for (s = 0; s < STAGES; s = s + 1) begin : gen_stage
      reg [WIDTH-1:0] data_q;  // stage s
      if (s == 0) begin : gen_first
        always @(posedge clk) if (en) data_q <= in_data;
      end else begin : gen_next
        always @(posedge clk) if (en) data_q <= gen_stage[s-1].data_q;
      end
    end
  endgenerate
  assign out_data = gen_stage[STAGES-1].data_q;
endmodule
`default_nettype wire
