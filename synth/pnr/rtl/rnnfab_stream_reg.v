`default_nettype none
// rnnfab_stream_reg: a valid/ready register slice (a skid buffer). Every output is a register:
// m_valid and m_data come from the output register, s_ready from the skid register's state, so
// no combinational path crosses the slice in either direction. Full throughput (a beat every
// cycle) with one cycle of latency; when the output stalls, the beat accepted in that cycle waits
// in the skid register. Used by rnnfab_pnr_top.v to put the accelerator behind registered ports
// for place and route (docs/timing.md).
module rnnfab_stream_reg #(
    parameter DATA_W = 8  // bits of a beat
) (
    input  wire              clk,      // clock
    input  wire              rst,      // synchronous reset, active high: both registers empty
    input  wire [DATA_W-1:0] s_data,   // upstream beat
    input  wire              s_valid,  // upstream valid
    output wire              s_ready,  // upstream ready (registered: the skid register is empty)
    output wire [DATA_W-1:0] m_data,   // downstream beat (registered)
    output wire              m_valid,  // downstream valid (registered)
    input  wire              m_ready   // downstream ready
);
  initial begin
    if (DATA_W < 1) begin
      $display("rnnfab_stream_reg: DATA_W (%0d) must be at least 1", DATA_W);
      $finish;
    end
  end

  reg [DATA_W-1:0] out_data_q, out_data_d, skid_data_q, skid_data_d;
  reg out_valid_q, out_valid_d, skid_valid_q, skid_valid_d;

  wire out_free = m_ready || !out_valid_q;  // the output register can load this cycle

  always @* begin
    out_data_d = out_data_q;
    out_valid_d = out_valid_q;
    skid_data_d = skid_data_q;
    skid_valid_d = skid_valid_q;
    if (out_free) begin
      if (skid_valid_q) begin  // the waiting beat first (s_ready is low this cycle)
        out_data_d = skid_data_q;
        out_valid_d = 1'b1;
        skid_valid_d = 1'b0;
      end else begin
        out_data_d = s_data;
        out_valid_d = s_valid;
      end
    end else if (s_valid && !skid_valid_q) begin  // output held: park the accepted beat
      skid_data_d = s_data;
      skid_valid_d = 1'b1;
    end
  end

  // data registers carry no reset (only the valid flags are control)
  always @(posedge clk) begin
    out_data_q  <= out_data_d;
    skid_data_q <= skid_data_d;
  end

  always @(posedge clk) begin
    if (rst) begin
      out_valid_q  <= 1'b0;
      skid_valid_q <= 1'b0;
    end else begin
      out_valid_q  <= out_valid_d;
      skid_valid_q <= skid_valid_d;
    end
  end

  assign s_ready = !skid_valid_q;
  assign m_data  = out_data_q;
  assign m_valid = out_valid_q;
endmodule

`default_nettype wire
