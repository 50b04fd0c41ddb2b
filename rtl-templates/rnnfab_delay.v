`default_nettype none
// rnnfab_delay: STAGES register stages that carry a valid bit (cleared by reset) and its data
// along a pipeline; out_* is in_* of STAGES cycles earlier.
module rnnfab_delay #(
    parameter WIDTH = 1,   // data bits
    parameter STAGES = 1   // register stages
) (
    input  wire             clk,        // clock
    input  wire             rst,        // synchronous reset: clears the valid bits
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

  // stage s is bits [s*WIDTH +: WIDTH] (data) and bit s (valid); stage 0 holds the newest
  reg [STAGES-1:0] valid_q, valid_d;
  reg [STAGES*WIDTH-1:0] data_q, data_d;
  always @* begin
    valid_d = valid_q << 1;
    valid_d[0] = in_valid;
    data_d = data_q << WIDTH;
    data_d[WIDTH-1:0] = in_data;
  end
  always @(posedge clk) begin
    valid_q <= rst ? {STAGES{1'b0}} : valid_d;
    data_q <= data_d;
  end
  assign out_valid = valid_q[STAGES-1];
  assign out_data = data_q[STAGES*WIDTH-1-:WIDTH];
endmodule
`default_nettype wire
