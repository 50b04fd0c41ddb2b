`default_nettype none
// rnnfab_top (synthesis test design with a mapping defect): a dot product of the input stream
// with a weight ROM whose read address depends on the input combinationally (an asynchronous
// read no register can be pulled into), so that it cannot become block RAM. The synth flow must
// warn about the weight memory; the multiplier still belongs in a DSP.
module rnnfab_top #(
  parameter AB = 16,                    // activation bits
  parameter WB = 16,                    // weight bits
  parameter DEPTH = 256,                // weights (input elements per output)
  parameter MEM_DIR = "mem/"            // prefix of the memory image file
) (
  input wire clk,                       // clock
  input wire rst,                       // synchronous reset, active high
  input wire [AB-1:0] in_data,          // input element
  input wire in_valid,                  // input element valid
  output wire in_ready,                 // always ready
  output wire [AB-1:0] out_data,        // dot product, top bits
  output wire out_valid,                // one output per DEPTH inputs
  input wire out_ready,                 // ignored: the output is held until the next one
  output wire out_last                  // every output is the last of its step
);
  localparam ADDR_BITS = $clog2(DEPTH);
  localparam integer LAST = DEPTH - 1;
  localparam [ADDR_BITS-1:0] LAST_ADDRESS = LAST[ADDR_BITS-1:0];
  reg [WB-1:0] weights [0:DEPTH-1];
  initial $readmemh({MEM_DIR, "weights.hex"}, weights);

  reg [ADDR_BITS-1:0] address_q;
  reg signed [AB+WB+ADDR_BITS-1:0] sum_q;
  reg [AB-1:0] out_data_q;
  reg out_valid_q;
  wire [ADDR_BITS-1:0] read_address = address_q ^ in_data[ADDR_BITS-1:0];
  wire signed [WB-1:0] weight = weights[read_address];
  wire signed [AB+WB-1:0] product = weight * $signed(in_data);

  assign in_ready = 1'b1;
  assign out_data = out_data_q;
  assign out_valid = out_valid_q;
  assign out_last = out_valid_q;

  always @(posedge clk) begin
    if (rst) begin
      address_q <= {ADDR_BITS{1'b0}};
      sum_q <= {(AB+WB+ADDR_BITS){1'b0}};
      out_data_q <= {AB{1'b0}};
      out_valid_q <= 1'b0;
    end else begin
      out_valid_q <= 1'b0;
      if (in_valid) begin
        address_q <= address_q + 1'b1;
        if (address_q == LAST_ADDRESS) begin
          sum_q <= {(AB+WB+ADDR_BITS){1'b0}};
          out_data_q <= sum_q[AB+WB+ADDR_BITS-1 -: AB];
          out_valid_q <= 1'b1;
        end else begin
          sum_q <= sum_q + {{ADDR_BITS{product[AB+WB-1]}}, product};
        end
      end
    end
  end

  wire unused_out_ready = out_ready;
endmodule
