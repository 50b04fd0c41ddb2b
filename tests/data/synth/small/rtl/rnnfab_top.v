`default_nettype none
// rnnfab_top (synthesis test design): a small sparse matrix-vector accelerator in the style of
// ESE. The input vector x arrives one element per beat; every element is broadcast to all PEs,
// and each PE walks the non-zeros of column j of its rows (column pointers, then weight/row
// entries), multiplying and accumulating into its own accumulator bank. Row r belongs to PE
// r mod PES. After the last input the rows are streamed out in order, scaled back to the
// activation format with saturation. Weight, pointer and accumulator memories are per PE.
module rnnfab_top #(
  parameter PES = 2,                    // number of processing elements
  parameter INPUTS = 64,                // length of the input vector x
  parameter ROWS = 64,                  // length of the output vector y (a multiple of PES)
  parameter AB = 16,                    // activation bits (two's complement)
  parameter WB = 12,                    // weight bits (two's complement)
  parameter FRAC = 10,                  // fraction bits of the weights (product shift)
  parameter NZ_DEPTH = 512,             // weight entries per PE
  parameter ACCB = 2 * AB + 4,          // accumulator bits
  parameter MEM_DIR = "mem/"            // prefix of every memory image file
) (
  input wire clk,                       // clock
  input wire rst,                       // synchronous reset, active high
  input wire [AB-1:0] in_data,          // input element
  input wire in_valid,                  // input element valid
  output wire in_ready,                 // ready for an input element
  output wire [AB-1:0] out_data,        // output element
  output wire out_valid,                // output element valid
  input wire out_ready,                 // downstream ready
  output wire out_last                  // last element of the output vector
);
  localparam ROWS_PER_PE = ROWS / PES;
  localparam COL_BITS = $clog2(INPUTS + 1);
  localparam ROW_BITS = $clog2(ROWS + 1);
  localparam PE_BITS = PES > 1 ? $clog2(PES) : 1;
  localparam LOCAL_ROW_BITS = ROWS_PER_PE > 1 ? $clog2(ROWS_PER_PE) : 1;

  initial begin
    if (ROWS % PES != 0) begin
      $display("rnnfab_top: ROWS (%0d) must be a multiple of PES (%0d)", ROWS, PES);
      $finish;
    end
  end

  localparam PHASE_INPUT = 2'd0;
  localparam PHASE_DRAIN = 2'd1;
  localparam PHASE_OUTPUT = 2'd2;

  reg [1:0] phase_q, phase_d;
  reg [COL_BITS-1:0] column_q, column_d;
  reg [ROW_BITS-1:0] out_row_q, out_row_d;
  reg read_pending_q, read_pending_d;
  reg [PE_BITS-1:0] read_pe_q, read_pe_d;
  reg [AB-1:0] out_data_q, out_data_d;
  reg out_valid_q, out_valid_d;
  reg out_last_q, out_last_d;

  wire [PES-1:0] pe_busy;
  wire [PES*ACCB-1:0] pe_result;
  wire all_idle = ~|pe_busy;
  wire take_input = phase_q == PHASE_INPUT && all_idle && in_valid;
  wire issue_read = phase_q == PHASE_OUTPUT && !read_pending_q && (!out_valid_q || out_ready)
    && out_row_q < ROWS;
  localparam [ROW_BITS-1:0] PES_WIDE = PES;
  /* verilator lint_off UNUSEDSIGNAL */ // only the low bits of the quotient and remainder
  wire [ROW_BITS-1:0] issue_pe_wide = out_row_q % PES_WIDE;
  wire [ROW_BITS-1:0] issue_local_row_wide = out_row_q / PES_WIDE;
  /* verilator lint_on UNUSEDSIGNAL */
  wire [PE_BITS-1:0] issue_pe = issue_pe_wide[PE_BITS-1:0];
  wire [LOCAL_ROW_BITS-1:0] issue_local_row = issue_local_row_wide[LOCAL_ROW_BITS-1:0];

  assign in_ready = phase_q == PHASE_INPUT && all_idle;
  assign out_data = out_data_q;
  assign out_valid = out_valid_q;
  assign out_last = out_last_q;

  // Scaling of the selected accumulator back to the activation format, with saturation.
  wire signed [ACCB-1:0] selected = pe_result[read_pe_q*ACCB +: ACCB];
  wire signed [ACCB-1:0] shifted = selected >>> FRAC;
  wire signed [ACCB-1:0] max_value = (1 <<< (AB - 1)) - 1;
  wire signed [ACCB-1:0] min_value = -(1 <<< (AB - 1));
  wire [AB-1:0] saturated = shifted > max_value ? max_value[AB-1:0]
    : shifted < min_value ? min_value[AB-1:0] : shifted[AB-1:0];

  always @* begin
    phase_d = phase_q;
    column_d = column_q;
    out_row_d = out_row_q;
    read_pending_d = 1'b0;
    read_pe_d = read_pe_q;
    out_data_d = out_data_q;
    out_valid_d = out_valid_q && !out_ready;
    out_last_d = out_last_q && !out_ready;
    case (phase_q)
      PHASE_INPUT: if (take_input) begin
        column_d = column_q + 1'b1;
        if (column_q == INPUTS - 1) phase_d = PHASE_DRAIN;
      end
      PHASE_DRAIN: if (all_idle) begin
        phase_d = PHASE_OUTPUT;
        out_row_d = {ROW_BITS{1'b0}};
      end
      default: begin
        if (issue_read) begin
          read_pending_d = 1'b1;
          read_pe_d = issue_pe;
          out_row_d = out_row_q + 1'b1;
        end
        if (read_pending_q) begin
          out_data_d = saturated;
          out_valid_d = 1'b1;
          out_last_d = out_row_q == ROWS;
        end
        if (out_row_q == ROWS && !read_pending_q && (!out_valid_q || out_ready)) begin
          phase_d = PHASE_INPUT;
          column_d = {COL_BITS{1'b0}};
        end
      end
    endcase
  end

  always @(posedge clk) begin
    if (rst) begin
      phase_q <= PHASE_INPUT;
      column_q <= {COL_BITS{1'b0}};
      out_row_q <= {ROW_BITS{1'b0}};
      read_pending_q <= 1'b0;
      read_pe_q <= {PE_BITS{1'b0}};
      out_data_q <= {AB{1'b0}};
      out_valid_q <= 1'b0;
      out_last_q <= 1'b0;
    end else begin
      phase_q <= phase_d;
      column_q <= column_d;
      out_row_q <= out_row_d;
      read_pending_q <= read_pending_d;
      read_pe_q <= read_pe_d;
      out_data_q <= out_data_d;
      out_valid_q <= out_valid_d;
      out_last_q <= out_last_d;
    end
  end

  genvar pe;
  generate
    for (pe = 0; pe < PES; pe = pe + 1) begin : gen_pe
      rnnfab_pe #(
        .INPUTS(INPUTS),
        .ROWS(ROWS_PER_PE),
        .AB(AB),
        .WB(WB),
        .NZ_DEPTH(NZ_DEPTH),
        .ACCB(ACCB),
        .WEIGHT_FILE({MEM_DIR, "pe", 8'd48 + pe[7:0], "_weights.hex"}),
        .POINTER_FILE({MEM_DIR, "pe", 8'd48 + pe[7:0], "_pointers.hex"})
      ) u_pe (
        .clk(clk),
        .rst(rst),
        .start(take_input),
        .column(column_q[COL_BITS-2:0]),
        .activation(in_data),
        .busy(pe_busy[pe]),
        .read_enable(issue_read && issue_pe == pe),
        .read_row(issue_local_row),
        .result(pe_result[pe*ACCB +: ACCB])
      );
    end
  endgenerate
endmodule
