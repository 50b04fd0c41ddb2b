`default_nettype none
// rnnfab_pe (synthesis test design): one processing element. For a broadcast input element
// x_j it reads the column pointers of column j (begin and end of the column's entries in one
// word), then streams the entries {weight, local row}: each weight is multiplied by x_j and
// added into the accumulator of its row (read, add, write; rows within a column are distinct, and
// the pipeline drains between columns). The accumulators are read (and cleared) by the top.
module rnnfab_pe #(
  parameter INPUTS = 64,                        // columns of the matrix
  parameter ROWS = 32,                          // rows held by this PE
  parameter AB = 16,                            // activation bits
  parameter WB = 12,                            // weight bits
  parameter NZ_DEPTH = 512,                     // depth of the weight memory
  parameter ACCB = 2 * AB + 4,                  // accumulator bits
  parameter WEIGHT_FILE = "pe0_weights.hex",    // image of the weight memory
  parameter POINTER_FILE = "pe0_pointers.hex"   // image of the pointer memory
) (
  input wire clk,                                               // clock
  input wire rst,                                               // synchronous reset
  input wire start,                                             // a new column arrives
  input wire [$clog2(INPUTS)-1:0] column,                       // its index j
  input wire [AB-1:0] activation,                               // its value x_j
  output wire busy,                                             // still processing a column
  input wire read_enable,                                       // read (and clear) a row
  input wire [(ROWS > 1 ? $clog2(ROWS) : 1)-1:0] read_row,      // which local row
  output wire [ACCB-1:0] result                                 // its accumulator (next cycle)
);
  localparam ROW_BITS = ROWS > 1 ? $clog2(ROWS) : 1;
  localparam ADDR_BITS = $clog2(NZ_DEPTH);
  localparam PTR_BITS = $clog2(NZ_DEPTH + 1);
  localparam ENTRY_BITS = WB + ROW_BITS;

  (* ram_style = "block" *) reg [ENTRY_BITS-1:0] weights [0:NZ_DEPTH-1];
  (* ram_style = "block" *) reg [2*PTR_BITS-1:0] pointers [0:INPUTS-1];
  (* ram_style = "block" *) reg [ACCB-1:0] accumulators [0:ROWS-1];
  integer row;
  initial begin
    $readmemh(WEIGHT_FILE, weights);
    $readmemh(POINTER_FILE, pointers);
    for (row = 0; row < ROWS; row = row + 1) accumulators[row] = {ACCB{1'b0}};
  end

  localparam STATE_IDLE = 2'd0;
  localparam STATE_POINTERS = 2'd1;
  localparam STATE_WALK = 2'd2;
  localparam STATE_DRAIN = 2'd3;

  reg [1:0] state_q, state_d;
  reg [PTR_BITS-1:0] next_q, next_d;
  reg [PTR_BITS-1:0] end_q, end_d;
  reg signed [AB-1:0] activation_q, activation_d;
  reg [2:0] drain_q, drain_d;
  reg entry_valid_q, entry_valid_d;
  reg product_valid_q;
  reg [ROW_BITS-1:0] product_row_q;
  reg signed [AB+WB-1:0] product_q;
  reg [2*PTR_BITS-1:0] pointer_word_q;
  reg [ENTRY_BITS-1:0] entry_q;
  reg [ACCB-1:0] accumulator_q;
  reg sum_valid_q;
  reg [ROW_BITS-1:0] sum_row_q;
  reg signed [AB+WB-1:0] sum_product_q;

  wire reading_entry = state_q == STATE_WALK && next_q != end_q;
  wire signed [WB-1:0] entry_weight = entry_q[ENTRY_BITS-1:ROW_BITS];
  wire [ROW_BITS-1:0] entry_row = entry_q[ROW_BITS-1:0];
  wire [ROW_BITS-1:0] accumulator_read_address = read_enable ? read_row : product_row_q;
  wire [ROW_BITS-1:0] accumulator_write_address = read_enable ? read_row : sum_row_q;
  wire [ACCB-1:0] new_sum = accumulator_q + {{(ACCB-AB-WB){sum_product_q[AB+WB-1]}}, sum_product_q};
  wire accumulator_write = read_enable || sum_valid_q;
  wire [ACCB-1:0] accumulator_write_data = read_enable ? {ACCB{1'b0}} : new_sum;

  assign busy = state_q != STATE_IDLE;
  assign result = accumulator_q;

  always @* begin
    state_d = state_q;
    next_d = next_q;
    end_d = end_q;
    activation_d = activation_q;
    drain_d = drain_q;
    entry_valid_d = reading_entry;
    case (state_q)
      STATE_IDLE: if (start) begin
        state_d = STATE_POINTERS;
        activation_d = activation;
      end
      STATE_POINTERS: begin
        state_d = STATE_WALK;
        next_d = pointer_word_q[PTR_BITS-1:0];
        end_d = pointer_word_q[2*PTR_BITS-1:PTR_BITS];
      end
      STATE_WALK: begin
        if (next_q != end_q) next_d = next_q + 1'b1;
        else begin
          state_d = STATE_DRAIN;
          drain_d = 3'd4;
        end
      end
      default: begin
        drain_d = drain_q - 1'b1;
        if (drain_q == 3'd1) state_d = STATE_IDLE;
      end
    endcase
  end

  // Memories: synchronous reads, one write port each.
  always @(posedge clk) begin
    if (start) pointer_word_q <= pointers[column];
    if (reading_entry) entry_q <= weights[next_q[ADDR_BITS-1:0]];
    if (accumulator_write) accumulators[accumulator_write_address] <= accumulator_write_data;
    accumulator_q <= accumulators[accumulator_read_address];
  end

  // Pipeline: entry -> product (with the accumulator read) -> sum written back.
  always @(posedge clk) begin
    product_q <= entry_weight * activation_q;
    product_row_q <= entry_row;
    sum_product_q <= product_q;
    sum_row_q <= product_row_q;
  end

  always @(posedge clk) begin
    if (rst) begin
      state_q <= STATE_IDLE;
      next_q <= {PTR_BITS{1'b0}};
      end_q <= {PTR_BITS{1'b0}};
      activation_q <= {AB{1'b0}};
      drain_q <= 3'd0;
      entry_valid_q <= 1'b0;
      product_valid_q <= 1'b0;
      sum_valid_q <= 1'b0;
    end else begin
      state_q <= state_d;
      next_q <= next_d;
      end_q <= end_d;
      activation_q <= activation_d;
      drain_q <= drain_d;
      entry_valid_q <= entry_valid_d;
      product_valid_q <= entry_valid_q;
      sum_valid_q <= product_valid_q;
    end
  end
endmodule
